"""E-invoices from the command line (R44, R45).

    invoice-tui invoices einvoice INVOICE [--format facturx|cii|ubl] [--out PATH]
    invoice-tui invoices validate INVOICE [--format facturx|cii|ubl] [--json]
    invoice-tui credit-notes einvoice CN … · credit-notes validate CN …   (type 381, naming its invoice)

``einvoice`` validates before it writes anything: a fatal rule refuses the output (exit 1) when the
invoice is in the scope of the French mandate (a French seller billing a business buyer, or the
setting ``einvoice_required``); elsewhere failures are printed as warnings. ``validate`` prints
each failed rule with its id and sentence, and exits 1 on any fatal one."""

from __future__ import annotations

from pathlib import Path

from invoice_tui.cli._common import command, group
from invoice_tui.cli.sending import _session
from invoice_tui.i18n import _, ngettext

SUFFIX = {"facturx": ".pdf", "cii": ".cii.xml", "ubl": ".ubl.xml"}


def _finding_record(f) -> dict:
    return {"rule": f.rule, "fatal": f.fatal, "text": f.text, "source": f.source}


def _document(args):
    """The invoice (``invoices …``) or credit note (``credit-notes …``) the command names."""
    if getattr(args, "cn", None) is not None:
        from invoice_tui.domain.credit import get_credit_note

        return get_credit_note(args.cn)
    from invoice_tui.domain.invoices import get_invoice

    return get_invoice(args.invoice)


def _einvoice(args, out) -> int:
    from invoice_tui.domain.einvoice import einvoice_bytes

    with _session(args) as (_ws, _ctx, _cfg):
        inv = _document(args)
        data, validation = einvoice_bytes(inv, args.format)
        name = f"{inv.number}{SUFFIX[args.format]}"
        target = Path(args.out) if args.out else Path.cwd() / name
        if target.is_dir():
            target = target / name
        from invoice_tui.team_ssh import refuse_files

        refuse_files("saving an e-invoice")
        target.write_bytes(data)
        for f in validation.findings:
            out.note(_("invoice-tui: warning: {finding}").format(finding=f.line()))
        out.result({"invoice": inv.number, "format": args.format, "path": str(target),
                    "warnings": [_finding_record(f) for f in validation.findings]},
                   _checked(validation).format(path=target, format=args.format, checked=validation.checked,
                                               n=len(validation.findings)))
    return 0


def _checked(validation) -> str:
    if not validation.findings:
        return _("Wrote {path} ({format}; it passes: {checked})")
    return ngettext("Wrote {path} ({format}; it has {n} warning: {checked})",
                    "Wrote {path} ({format}; it has {n} warnings: {checked})", len(validation.findings))


def _validate(args, out) -> int:
    from invoice_tui.domain.einvoice import validate

    with _session(args) as (_ws, _ctx, _cfg):
        inv = _document(args)
        validation = validate(inv, args.format)
        fatal = validation.fatal

        def text() -> str:
            if not validation.findings:
                return _("{invoice}: the {format} e-invoice passes every rule checked ({checked}).").format(
                    invoice=inv.number, format=args.format, checked=validation.checked)
            warnings = len(validation.findings) - len(fatal)
            counts = (ngettext("{n} error", "{n} errors", len(fatal)).format(n=len(fatal)) + ", "
                      + ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings))
            scope = (" — " + _("in the scope of the French e-invoicing mandate")) if validation.in_scope else ""
            lines = [f"{inv.number}: {counts}{scope}"]
            lines += [f"  {f.line()}" for f in validation.findings]
            return "\n".join(lines)

        out.result({"invoice": inv.number, "format": args.format, "in_scope": validation.in_scope,
                    "valid": not fatal, "findings": [_finding_record(f) for f in validation.findings]}, text)
    return 1 if fatal else 0


def _commands(sub, dest: str, metavar: str, what: str) -> None:
    invoice = what == "invoice"
    p = command(sub, "einvoice", _("write the e-invoice of an issued invoice: Factur-X PDF, CII or UBL (validated "
                                   "first: R44, R45)") if invoice else
                _("write the e-invoice of an issued credit note: Factur-X PDF, CII or UBL (validated first: R44, "
                  "R45)"), _einvoice)
    p.add_argument(dest, metavar=metavar, help=_("invoice id or number") if invoice else _("credit note id or number"))
    p.add_argument("--format", choices=("facturx", "cii", "ubl"), default="facturx",
                   help=_("facturx (PDF/A-3 with its CII, the default), cii or ubl"))
    p.add_argument("--out", metavar=_("PATH"), help=_("file or folder to write (default: ./NUMBER.pdf or .xml)"))
    p = command(sub, "validate", _("check an issued invoice's e-invoice against the XSD, EN 16931 and the French "
                                   "BR-FR rules; exit 1 on any error") if invoice else
                _("check an issued credit note's e-invoice against the XSD, EN 16931 and the French BR-FR rules; "
                  "exit 1 on any error"), _validate)
    p.add_argument(dest, metavar=metavar, help=_("invoice id or number") if invoice else _("credit note id or number"))
    p.add_argument("--format", choices=("facturx", "cii", "ubl"), default="facturx",
                   help=_("which output to check (facturx checks its CII)"))


def register(subparsers) -> None:
    _commands(group(subparsers, "invoices", _("create, edit, finalize, clone, void, delete, show and list invoices")),
              "invoice", _("INVOICE"), "invoice")
    _commands(group(subparsers, "credit-notes", _("create, issue, list, show, print and send credit notes (R36–R42)")),
              "cn", "CN", "credit note")
