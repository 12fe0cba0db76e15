"""Issue 25's check that cannot be fooled: a pseudo-locale whose catalog wraps every translation in
⟦…⟧, and a reader of the rendered screen that reports every visible word outside the markers that
is not data. A string never marked for translation shows up bare, whatever the catalogs say.
"""

from __future__ import annotations

import gettext
import io
import re
from functools import lru_cache
from typing import Iterable

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from invoice_tui.i18n import DOMAIN, LOCALE_DIR, use_translations

OPEN, CLOSE = "⟦", "⟧"
PSEUDO = "pseudo"


@lru_cache(maxsize=1)
def _pseudo_mo() -> bytes:
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as f:
        template = read_po(f)
    catalog = Catalog(locale="en")
    for m in template:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            catalog.add(m.id, tuple(OPEN + form + CLOSE for form in m.id), context=m.context)
        else:
            catalog.add(m.id, OPEN + m.id + CLOSE, context=m.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def use_pseudo_locale() -> None:
    """Speak the pseudo-locale from now on (the suite's fixture returns to English after the test)."""
    use_translations(gettext.GNUTranslations(io.BytesIO(_pseudo_mo())), PSEUDO)


_MARKED = re.compile(f"{OPEN}[^{CLOSE}]*?(?:{CLOSE}|…|$)", re.M)
_TAIL = re.compile(f"^[^{OPEN}\\n]*{CLOSE}", re.M)  # the end of a marked text wrapped from the line above
_WORD = re.compile(r"[^\W\d_]{2,}(?:['’][^\W\d_]+)?")

PRODUCT = "invoice-tui"  # the product's name is the same in every language


def unmarked_words(text: str, data: Iterable[str] = ()) -> list[str]:
    """The words of ``text`` (a rendered screen) outside ⟦…⟧ that are not data: each word of
    ``data`` (names, emails, numbers the test's workspace holds) is allowed."""
    allowed = {w.casefold() for item in data for w in _WORD.findall(str(item))}
    bare = _MARKED.sub(" ", _TAIL.sub(" ", text.replace(PRODUCT, " ")))
    return [w for w in _WORD.findall(bare) if w.casefold() not in allowed]


def screen_text(app) -> str:
    """The screen as a person reads it, line by line (every layer composited)."""
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


def workspace_data() -> list[str]:
    """What a test workspace holds that a screen shows as data: names, emails, numbers, titles,
    line names, logins, currency codes."""
    from invoice_tui.db.models import Company, Contact, Invoice, LineItem, User

    data: list[str] = []
    for c in Contact.select():
        data += [c.first_name or "", c.last_name or "", c.email or ""]
    data += [c.name for c in Company.select()]
    for i in Invoice.select():
        data += [i.number or "", i.po_number or "", i.title or "", i.currency]
    data += [li.name for li in LineItem.select()]
    data += [u.login for u in User.select()]
    return data


async def render_pseudo(app, opener, *, size=(80, 24), data=()) -> tuple[str, list[str]]:
    """Run ``app`` under the pseudo-locale, let ``opener(pilot, app)`` open a screen as a user
    does, and return (the screen's text, its words outside the catalog)."""
    use_pseudo_locale()
    async with app.run_test(size=size) as pilot:
        await opener(pilot, app)
        text = screen_text(app)
        return text, unmarked_words(text, [*workspace_data(), *data])


def assert_all_marked(case: str, text: str, bare: list[str]) -> None:
    assert not bare, f"{case}: words outside the catalog: {sorted(set(bare))}\n{text}"
