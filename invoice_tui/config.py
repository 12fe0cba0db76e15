"""Local configuration: a TOML file in the platformdirs config dir, each key overridable by an
``INVOICE_TUI_*`` environment variable. Read-only for the app; workspace settings live in the
database.

```toml
# ~/.config/invoice-tui/config.toml
db = "sqlite:////home/me/invoices.db"   # or postgresql://me@db.example/invoices
user = "me"
mail_url = "smtp://me@smtp.example.com:587?starttls=1"
mail_password = "…"
theme = "textual-dark"
stripe_api_key = "sk_test_…"           # online payments (issue 26); never shown or logged
stripe_webhook_secret = "whsec_…"
stripe_publishable_key = "pk_test_…"     # the buyer page's Pay (Stripe.js)
stripe_api_base = "http://127.0.0.1:8420"  # tests and self-hosted setups only
[keymap]
"invoices.record_payment" = "ctrl+r"
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_path, user_data_path

from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _

APP_NAME = "invoice-tui"
KEYS = ("db", "user", "mail_url", "mail_password", "theme", "stripe_api_key", "stripe_webhook_secret",
        "stripe_api_base", "stripe_publishable_key", "locale")


def config_path() -> Path:
    return Path(os.environ.get("INVOICE_TUI_CONFIG") or user_config_path(APP_NAME) / "config.toml")


def default_db_url() -> str:
    return f"sqlite:///{user_data_path(APP_NAME) / 'workspace.db'}"


@dataclass
class Config:
    db: str = field(default_factory=default_db_url)
    user: str | None = None
    mail_url: str | None = None
    mail_password: str | None = field(default=None, repr=False)
    theme: str = "textual-dark"
    stripe_api_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    stripe_publishable_key: str | None = None  # pk_…: public by design (the buyer page's Stripe.js)
    keymap: dict[str, str] = field(default_factory=dict)
    locale: str | None = None  # issue 24: the reader's locale, after the user's own preference
    path: Path | None = None

    def __repr__(self) -> str:  # never show the password
        return f"Config(db={self.db!r}, user={self.user!r}, mail_url={self.mail_url!r}, theme={self.theme!r})"


def load_config(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    path = path or config_path()
    data: dict = {}
    if path.exists():
        import tomllib  # only with a file to read (its regexes cost a few ms of start-up)

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInput(_("The configuration file {path} is not valid TOML: {exc}.").format(path=path,
                                 exc=exc)) from None
    unknown = set(data) - set(KEYS) - {"keymap"}
    if unknown:
        raise BadInput(_("Unknown key '{name}' in {path}; known keys: {keys}, keymap.").format(name=sorted(unknown)[0],
                             path=path, keys=', '.join(KEYS)))
    cfg = Config(path=path)
    for key in KEYS:
        if key in data:
            if not isinstance(data[key], str):
                raise BadInput(_("'{key}' in {path} must be a string.").format(key=key, path=path))
            setattr(cfg, key, data[key])
        env_value = env.get(f"INVOICE_TUI_{key.upper()}")
        if env_value:
            setattr(cfg, key, env_value)
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise BadInput(_('[keymap] in {path} maps binding ids to keys, e.g. '
                         '"invoices.record_payment" = "ctrl+r".').format(path=path))
    cfg.keymap = dict(keymap)
    return cfg
