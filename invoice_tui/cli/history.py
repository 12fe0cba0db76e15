"""``invoice-tui history INVOICE`` — an invoice's activities (R16) and property changes (R15).

History outlives the invoice (R12): a deleted invoice's history is still shown by its id or its
former number.
"""

from __future__ import annotations

from invoice_tui.cli._common import add_common_json, session, table
from invoice_tui.i18n import _


def _rows_for(ref: str):
    """(invoice id, number, activities, property changes); NotFound when nothing is known. The
    invoice's creation row comes property by property (each with the creation row's id and
    ``"created": true``), as the TUI's property history shows it."""
    from invoice_tui.db.models import Activity
    from invoice_tui.domain import invoices
    from invoice_tui.domain.errors import NotFound

    try:
        inv = invoices.get_invoice(ref)
        invoice_id, number = inv.id, inv.number
    except NotFound:
        text = str(ref).strip()
        cond = Activity.invoice_number == text
        if text.isdigit():
            cond = cond | (Activity.invoice_id == int(text))
        row = Activity.select().where(cond).order_by(Activity.id.desc()).first()
        if row is None:
            raise
        invoice_id, number = row.invoice_id, row.invoice_number
    acts = sorted(invoices.activities(invoice_id), key=lambda a: a.id)
    return invoice_id, number, acts, invoices.property_history(invoice_id)


def _history(args, out) -> int:
    from invoice_tui.domain.permissions import require

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        invoice_id, number, acts, changes = _rows_for(args.invoice)
        data = {
            "invoice_id": invoice_id, "number": number,
            "activities": [{"id": a.id, "at": a.created_at.isoformat(), "kind": a.kind, "text": a.text,
                            "user": a.user_login, "due_date": a.due_date.isoformat() if a.due_date else None}
                           for a in acts],
            "property_changes": [{"id": c.id, "at": c.created_at.isoformat(), "property": c.property,
                                  "old": c.old_value, "new": c.new_value, "user": c.user_login,
                                  "source": c.source, "created": c.created} for c in changes],
        }

        def text() -> str:
            from invoice_tui.cli._common import reader_locale
            from invoice_tui.domain.localize import history_text

            loc = reader_locale()  # issue 24: amounts read in the reader's locale; --json keeps the stored text
            title = number or _("draft #{id}").format(id=invoice_id)
            parts = [_("History of {invoice}").format(invoice=title), "", _("Activities")]
            parts.append(table((_("When"), _("Who"), _("Kind"), _("Text")),
                               [(a["at"][:19].replace("T", " "), a["user"], a["kind"], history_text(a["kind"], a["text"], loc))
                                for a in data["activities"]]) if acts else _("(none)"))
            parts += ["", _("Property changes")]
            parts.append(table((_("When"), _("Who"), _("Via"), _("Property"), _("Old"), _("New")),
                               [(c["at"][:19].replace("T", " "), c["user"], c["source"], c["property"],
                                 _short(c["old"]), _short(c["new"])) for c in data["property_changes"]
                                if c["old"] or c["new"]])  # "nothing → empty" is noise in text
                         if changes else _("(none)"))
            return "\n".join(parts)

        out.result(data, text)
    return 0


def _short(value: str | None, limit: int = 60) -> str:
    if value is None:
        return "—"
    value = value.replace("\n", " ")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def register(subparsers) -> None:
    p = subparsers.add_parser("history", help=_("an invoice's activities and property changes"),
                              description=_("Show an invoice's activities (R16) and property changes (R15), "
                                          "oldest first; deleted invoices keep theirs."))
    add_common_json(p)
    p.add_argument("invoice", metavar=_("INVOICE"), help=_("invoice id or number"))
    p.set_defaults(handler=_history)
