"""``invoice-tui demo [--invoices N] [--seed S] [--today YYYY-MM-DD] [--no-strict]`` — fill an empty
workspace with realistic data from a French seller (R43), in strict mode unless --no-strict (R46);
the same seed and --today give the same workspace."""

from __future__ import annotations

from invoice_tui.cli._base import _today, pin_today
from invoice_tui.cli._common import add_common_json, pairs, session
from invoice_tui.i18n import _, pgettext


def _demo(args, out) -> int:
    from invoice_tui import demo

    today = _today(args.today)
    with session(args) as (_ws, ctx):
        if today is not None:
            pin_today(ctx, today)
        summary = demo.generate(ctx, invoices=args.invoices, seed=args.seed, progress=None,
                                strict=not args.no_strict)
        out.result(summary, lambda: _("Demo workspace ready.") + "\n" + pairs(
            [(_label(k), v) for k, v in (summary or {}).items()]))
    return 0


def _label(key) -> str:
    """A key of the summary (demo.generate's counts) as the reader reads it."""
    labels = {
        "invoices": pgettext("demo", "Invoices"), "drafts": pgettext("demo", "Drafts"),
        "open": pgettext("demo", "Open"), "overdue": pgettext("demo", "Overdue"),
        "partially_paid": pgettext("demo", "Partially paid"), "paid": pgettext("demo", "Paid"),
        "voided": pgettext("demo", "Voided"), "credit_notes": pgettext("demo", "Credit notes"),
        "numbers": pgettext("demo", "Numbers"), "users": pgettext("demo", "Users"),
        "contacts": pgettext("demo", "Contacts"), "companies": pgettext("demo", "Companies"),
        "line_items": pgettext("demo", "Line items"), "adjustments": pgettext("demo", "Adjustments"),
        "payments": pgettext("demo", "Payments"), "unapplied_payments": pgettext("demo", "Unapplied payments"),
        "reminders": pgettext("demo", "Reminders"), "activities": pgettext("demo", "Activities"),
        "property_changes": pgettext("demo", "Property changes"), "seconds": pgettext("demo", "Seconds"),
    }
    return labels.get(key) or str(key).replace("_", " ").capitalize()


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help=_("fill an empty workspace with demo data"),
                              description=_("Fill an empty workspace with realistic, deterministic demo data "
                                          "(EUR/USD/GBP/JPY; drafts, open, partly paid, paid, overdue, cancelled) "
                                          "from a French seller with its complete legal profile, in strict mode: "
                                          "cancellations are credit notes (--no-strict: voided invoices). "
                                          "Refuses a workspace that already has data; you become its super admin. "
                                          "The same --seed and --today give the same invoices, numbers, amounts, "
                                          "names and dates."))
    add_common_json(p)
    p.add_argument("--invoices", type=int, default=200, metavar="N", help=_("number of invoices (default 200)"))
    p.add_argument("--seed", type=int, default=0, metavar="S", help=_("random seed (default 0)"))
    p.add_argument("--today", metavar="YYYY-MM-DD", default=None,
                   help=_("the date the demo is generated as of (default: the real today); every date and time "
                        "in the demo derives from it"))
    p.add_argument("--no-strict", action="store_true",
                   help=_("leave strict mode off (R46): cancelled invoices are voided instead of credited by a "
                        "credit note, and finalized invoices may be edited, voided or deleted where the settings "
                        "allow it"))
    p.set_defaults(handler=_demo)
