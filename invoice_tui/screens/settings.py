"""The Settings screen (issue 22): super admins see the workspace settings grouped — seller
profile, numbering, sending, reminders — and everyone sees their own preferences (language, theme,
export folder). Every field is checked as it is typed (``settings.check_setting_text``, no database
read) with the reason beside it; Enter saves the field through the one service
(``workspace.change_setting``: history row, strict-mode rules, R43's checks), whose notes (strict
mode turned on) and refusals are shown beside the field too.

Opened from the palette ("Settings: Open settings") and from the index (``,``). Opened by a
finalize that needs the seller's legal data (R2, R43: the first finalize in a workspace), it is a
focused form: only the seller profile, the missing fields named beside them, the first one focused;
Escape returns to the invoice, which finalizes when nothing is missing any more.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Static

from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.text import safe
from invoice_tui.i18n import N_, _, pgettext
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.palette import OpenScreenCommand

PREFERENCES = (("language", N_("Language")), ("theme", N_("Theme")), ("export_folder", N_("Export folder")))


def _on() -> str:
    return pgettext("setting value", "on")


def _off() -> str:
    return pgettext("setting value", "off")


def _text(value) -> str:
    if isinstance(value, bool):
        return _on() if value else _off()
    return str(value).replace("\n", " / ") if value is not None else ""


def _service_text(key: str, text: str) -> str:
    """What the service reads for ``text`` typed in ``key``'s field: on and off as the reader's
    language writes them are the service's on and off."""
    from invoice_tui.domain.settings import TYPES

    if TYPES.get(key) is bool:
        word = text.strip().casefold()
        if word == _on().casefold():
            return "on"
        if word == _off().casefold():
            return "off"
    return text


def _load(ctx) -> dict:
    """What the screen shows: the workspace settings for a super admin, and the user's preferences."""
    from invoice_tui.domain import people
    from invoice_tui.domain.permissions import has
    from invoice_tui.domain.settings import load_settings

    admin = has(ctx, "settings")
    return {"admin": admin, "settings": load_settings().to_dict() if admin else {},
            "prefs": {key: people.preference(ctx, key, "") or "" for key, _label in PREFERENCES}}


def _lines(key: str, text: str) -> str:
    """A field shown on one row with " / " between its lines, as the setting is stored."""
    if key == "seller_address":
        return "\n".join(part.strip() for part in text.split(" / "))  # street lines, as shown
    if key.startswith("dunning_") and "_body_" in key:  # R51: a dunning email's body, line by line
        lines = text.split(" / ")
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines) + "\n" if lines else ""
    return text


def _save_setting(ctx, key: str, text: str):
    from invoice_tui.domain.workspace import change_setting

    return change_setting(ctx, key, _lines(key, _service_text(key, text)))


def reader_locale(ctx) -> str:
    """The locale the reader now reads in (``localize.display_locale``: their preference, the
    config, the environment, the workspace's), their preferences read again from the database."""
    import json

    from invoice_tui.domain import people
    from invoice_tui.domain.localize import LANGUAGE_PREFERENCE, display_locale

    if ctx.user is not None:  # the user row the context holds is the one display_locale reads
        try:
            prefs = json.loads(ctx.user.preferences or "{}")
        except ValueError:
            prefs = {}
        stored = people.preference(ctx, LANGUAGE_PREFERENCE, None)
        if stored:
            prefs[LANGUAGE_PREFERENCE] = stored
        else:
            prefs.pop(LANGUAGE_PREFERENCE, None)
        ctx.user.preferences = json.dumps(prefs)
    return display_locale(ctx)


def _save_preference(ctx, key: str, text: str) -> str:
    from invoice_tui.domain import people
    from invoice_tui.domain.text import clean

    try:
        value = clean(text, what=key, max_length=300).strip()
    except ValueError as exc:
        from invoice_tui.domain.errors import BadInput

        raise BadInput(f"{exc}.", field=key) from None
    people.set_preference(ctx, key, value)
    return value


class SettingsScreen(ServiceCalls, Screen[None]):
    """Workspace settings (super admin) and the user's preferences."""

    BINDINGS = [Binding("escape", "back", N_("Back"), id="settings.back")]
    DEFAULT_CSS = """
    SettingsScreen VerticalScroll { padding: 0 1; }
    SettingsScreen .settings-group { text-style: bold; margin-top: 1; }
    SettingsScreen .settings-row { height: 1; }
    SettingsScreen .settings-row Label { width: 26; }
    SettingsScreen .settings-row Input { width: 1fr; height: 1; border: none; padding: 0; }
    SettingsScreen .settings-reason { color: $error; height: auto; padding-left: 26; }
    SettingsScreen .settings-reason.-ok { color: $success; }
    SettingsScreen .settings-reason.-empty { display: none; }
    SettingsScreen .settings-purpose { color: $warning; height: auto; margin-top: 1; }
    """

    def __init__(self, focus: tuple[str, ...] = (), purpose: str = "") -> None:
        """``focus``: the seller-profile settings a finalize found missing (the focused form), and
        ``purpose`` the sentence saying why."""
        super().__init__()
        self.data: dict = {}
        self.focus_keys = tuple(focus)
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerticalScroll(Static(_("Loading settings…"), id="settings-loading"), id="settings-body")
        yield Footer()

    def on_mount(self) -> None:
        self.call_service(_load, self.app.ctx, done=self._show, group="settings-load")

    def _show(self, data: dict) -> None:
        from invoice_tui.domain.settings import SETTING_GROUPS, group_title, setting_label

        self.data = data
        body = self.query_one("#settings-body", VerticalScroll)
        body.remove_children()
        widgets = []
        if self.focus_keys and data["admin"]:  # the finalize's focused form: the seller profile only
            widgets.append(Static(self.purpose, id="settings-purpose", classes="settings-purpose", markup=False))
            title, keys = SETTING_GROUPS[0]
            widgets.append(Label(group_title(title), classes="settings-group"))
            for key in keys:
                widgets += self._field("setting", key, setting_label(key), _text(data["settings"].get(key)))
            body.mount(*widgets)
            for key in self.focus_keys:
                if key in keys:
                    self._reason(f"setting-{key}", _("Needed to finalize."))
            self.call_after_refresh(self._focus_first)
            return
        if data["admin"]:
            for title, keys in SETTING_GROUPS:
                widgets.append(Label(group_title(title), classes="settings-group"))
                for key in keys:
                    widgets += self._field("setting", key, setting_label(key), _text(data["settings"].get(key)))
        else:
            widgets.append(Static(_("Workspace settings are changed by a super admin."), classes="settings-group"))
        widgets.append(Label(_("Your preferences"), classes="settings-group"))
        for key, label in PREFERENCES:
            widgets += self._field("pref", key, _(label), data["prefs"].get(key, ""))
        body.mount(*widgets)
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        for key in self.focus_keys:
            found = self.query(f"#setting-{key}")
            if found:
                found.first().focus()
                return
        fields = self.query(Input)
        if fields:
            fields.first().focus()

    def _field(self, kind: str, key: str, label: str, value: str) -> list:
        field = Input(value=value, id=f"{kind}-{key}", select_on_focus=False)
        field.cursor_blink = False
        return [Horizontal(Label(label, markup=False), field, classes="settings-row"),
                Static("", id=f"reason-{kind}-{key}", classes="settings-reason -empty", markup=False)]

    def _reason(self, field_id: str, text: str, ok: bool = False) -> None:
        reason = self.query_one(f"#reason-{field_id}", Static)
        reason.set_class(ok, "-ok")
        reason.set_class(not text, "-empty")
        reason.update(safe(text) if text else "")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        field_id = event.input.id or ""
        if not field_id.startswith("setting-"):
            return
        key = field_id.removeprefix("setting-")
        from invoice_tui.domain.settings import check_setting_text

        scheme = None
        if key == "seller_electronic_address":
            scheme = self.query_one("#setting-seller_electronic_scheme", Input).value
        text = _lines(key, _service_text(key, event.value))
        self._reason(field_id, check_setting_text(key, text, scheme=scheme) or "")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        field_id = event.input.id or ""
        kind, _sep, key = field_id.partition("-")

        def saved(result) -> None:
            notes = getattr(result, "notes", None) or []
            if (kind, key) in (("pref", "language"), ("setting", "locale")):
                self._language_changed(field_id, " ".join(notes))
                return
            self._reason(field_id, " ".join(notes) or _("Saved."), ok=True)

        def refused(error: InvoiceTuiError) -> None:
            self._reason(field_id, error.message)

        fn = _save_setting if kind == "setting" else _save_preference
        self.call_service(fn, self.app.ctx, key, event.value, done=saved, failed=refused, group="settings-save")

    def _language_changed(self, field_id: str, notes: str) -> None:
        """The reader's language preference (or the workspace's locale) saved: the app speaks the
        language it now resolves to at once (issue 25), this screen included."""
        from functools import partial

        from invoice_tui.widgets.language import apply_language

        self._reason(field_id, notes or _("Saved."), ok=True)

        async def speak(locale: str) -> None:
            from invoice_tui.i18n import language

            before = language()
            await apply_language(self.app, locale)
            if language() != before:  # this screen was composed again: the note goes to a notification
                self.app.notify(notes or _("Saved."))

        def switch(locale: str) -> None:
            self.app.run_worker(partial(speak, locale), group="app-language", exclusive=True)

        self.call_service(reader_locale, self.app.ctx, done=switch, group="settings-language", exclusive=True)

    def action_back(self) -> None:
        self.dismiss(None)


class SettingsCommands(OpenScreenCommand):
    """"Settings: Open settings" in the command palette."""

    NAME = N_("Settings: Open settings")
    HELP = N_("The seller profile, numbering, sending and reminders (super admin), and your preferences")

    def make_screen(self) -> SettingsScreen:
        return SettingsScreen()
