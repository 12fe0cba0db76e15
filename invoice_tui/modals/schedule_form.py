"""R49: make a recurring schedule from the invoice on screen — every N days/weeks/months/years
(``1m``), on a day of the month (31 or ``last``: the month's last day), from a start date, ending
after N invoices or on a date, as drafts, finalized, or finalized and sent. The service checks
everything and refuses with a sentence, shown as a notification."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select

from invoice_tui.i18n import N_, _
from invoice_tui.modals.dialogs import Dialog

MODES = [(N_("Drafts, for review"), "draft"), (N_("Finalized"), "finalize"), (N_("Finalized and emailed"), "send")]


class ScheduleForm(Dialog, ModalScreen[dict | None]):
    """Returns the typed fields (every, day, start, end, mode), or None when cancelled."""

    DEFAULT_CSS = Dialog.DEFAULT_CSS + """
    ScheduleForm .schedule-row { height: 3; }
    ScheduleForm .schedule-row Input { width: 1fr; }
    ScheduleForm #schedule-mode { width: 100%; }
    """
    cancel_result = None

    def __init__(self, label: str, start: str) -> None:
        super().__init__(_("Repeat {invoice}").format(invoice=label),
                         _("Each period makes an invoice from this one (origin subscription)."))
        self.start = start

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="schedule-row"):
            yield Input("1m", placeholder=_("every: 1m, 2w, 1y"), id="schedule-every")
            yield Input(placeholder=_("day: 1-31 or last"), id="schedule-day")
        with Horizontal(classes="schedule-row"):
            yield Input(self.start, placeholder=_("start: YYYY-MM-DD"), id="schedule-start")
            yield Input(placeholder=_("end: N invoices or date"), id="schedule-end")
        yield Select([(_(label), mode) for label, mode in MODES], value="draft", allow_blank=False, id="schedule-mode")

    def compose_buttons(self) -> ComposeResult:
        yield Button(_("Cancel"), id="cancel")
        yield Button(_("Create"), id="create", variant="primary")

    def focus_first(self) -> None:
        self.query_one("#schedule-every", Input).focus()

    @on(Button.Pressed, "#create")
    @on(Input.Submitted)
    def _create(self) -> None:
        self.dismiss({name: self.query_one(f"#schedule-{name}", Input).value.strip()
                      for name in ("every", "day", "start", "end")}
                     | {"mode": self.query_one("#schedule-mode", Select).value})

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
