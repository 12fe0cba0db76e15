"""``invoice-tui settings show|set`` — the workspace settings shared by the team."""

from __future__ import annotations

from invoice_tui.cli._common import command, group, pairs, session
from invoice_tui.i18n import _

# The keys the CLI documents (issue 2); the service accepts every workspace setting.
KEYS = ("allow_edit_finalized", "allow_delete_unpaid", "strict_mode", "number_pattern", "credit_note_pattern",
        "next_number", "payment_terms_days", "default_currency", "locale", "timezone",
        "seller_legal_name", "seller_address", "seller_postcode", "seller_city", "seller_country", "seller_siren",
        "seller_siret", "seller_vat_id", "seller_legal_form", "seller_share_capital", "seller_registration",
        "seller_electronic_address", "seller_electronic_scheme", "seller_iban", "seller_bic", "payment_means_code",
        "late_penalty_rate", "early_payment_terms", "vat_franchise", "vat_on_debits",
        "einvoice_required", "payment_instructions", "public_base_url", "send_on_finalize", "dunning_levels",
        "late_fee_rate", "late_fee_fixed", "dunning_{1,2,3}_{subject,body}_{en,fr,de,es}")
# Older names still accepted (R43/R46): seller_name, seller_tax_id, number_prefix.


def _show(args, out) -> int:
    from invoice_tui.domain.permissions import require
    from invoice_tui.domain.workspace import settings_record

    with session(args) as (_ws, ctx):
        require(ctx, "view")
        data = settings_record()
        out.result(data, lambda: pairs([(k, _text(v)) for k, v in data.items()]))
    return 0


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text.replace("\n", "\\n") if text else _("(not set)")


def _set(args, out) -> int:
    import sys

    from invoice_tui.domain.workspace import change_setting

    from invoice_tui.domain.settings import canonical_key

    key = canonical_key(args.key)
    with session(args) as (_ws, ctx):
        value = args.value
        if key.startswith("dunning_") and "_body_" in key:  # R51: a body's lines, written \n as settings show does
            value = value.replace("\\n", "\n")
        change = change_setting(ctx, args.key, value)
        old, new = change.old, change.new
        for note in change.notes:  # strict mode turned on, or recommended (R46)
            print(f"invoice-tui: {note}", file=sys.stderr)  # the domain's sentence
        out.result({"key": key, "old": old, "new": new, **({"notes": change.notes} if change.notes else {})},
                   lambda: f"{key}: {_text(old)} → {_text(new)}")
    return 0


def register(subparsers) -> None:
    sub = group(subparsers, "settings", _("show and change the workspace settings"))
    command(sub, "show", _("show every workspace setting"), _show)
    p = command(sub, "set", _("change one setting (super admin)"), _set,
                epilog=_("keys: {keys} (older names: seller_name, seller_tax_id, number_prefix)").format(
                    keys=", ".join(KEYS)))
    p.add_argument("key", metavar=_("KEY"))
    p.add_argument("value", metavar=_("VALUE"))
