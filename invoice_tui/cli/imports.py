"""``invoice-tui import`` (R52) and ``invoice-tui import-mappings``.

    invoice-tui import contacts|companies|invoices|payments --file PATH [--mapping NAME]
        [--map FIELD=HEADER]… [--save-mapping NAME] [--locale L] [--dry-run] [--json]

Exit 0 when every row was imported (or, with --dry-run, would be); exit 1 with the report — every
bad row with its row number, column and sentence — when any row is bad, and then nothing is
written. A progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import sys

from invoice_tui.cli._common import add_common_json, session, table
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _

OBJECTS = ("contacts", "companies", "invoices", "payments")


class _Bar:
    def __init__(self, stream) -> None:
        self.stream = stream

    def __call__(self, rows: int, fraction: float) -> None:
        filled = int(30 * fraction)
        self.stream.write(f"\r[{'#' * filled}{'-' * (30 - filled)}] "
                          + _("{n} rows").format(n=f"{rows:,}"))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _maps(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        fid, sep, header = item.partition("=")
        if not sep or not fid.strip():
            raise BadInput(_("--map takes FIELD=HEADER (e.g. email=Courriel), not '{item}'.").format(item=item),
                           field="map")
        out[fid.strip()] = header.strip()
    return out


def report_text(report) -> str:
    read = _("{n} rows read from {path}").format(n=f"{report.rows:,}", path=report.path)
    if report.ok:
        objects = {"contacts": _("contacts"), "companies": _("companies"), "invoices": _("invoices"),
                   "payments": _("payments")}
        values = {"n": f"{report.created:,}", "object": objects.get(report.object, report.object)}
        done = (_("would import {n} {object}") if report.dry_run else _("imported {n} {object}") if report.written
                else _("imported nothing: {n} {object}")).format(**values)
        if report.lines:
            done += " " + _("({n} lines)").format(n=f"{report.lines:,}")
        if report.matched:
            done += ", " + _("{n} matched existing ones").format(n=f"{report.matched:,}")
    else:
        done = (_("imported {n} bad row(s)") if report.written else _("imported nothing: {n} bad row(s)")).format(
            n=f"{report.error_count:,}")
    lines = [f"{read}; {done}"]
    if report.errors:
        lines.append(table([_("Row"), _("Column"), _("Problem")],
                           [(str(e.row), e.column, e.message) for e in report.errors], right=(0,)))
        if report.error_count > len(report.errors):
            lines.append(_("… and {n} more.").format(n=f"{report.error_count - len(report.errors):,}"))
        lines.append(_("Nothing was written; fix these rows and import the file again."))
    lines += report.notes[:20]
    return "\n".join(lines)


def _import(args, out) -> int:
    from invoice_tui.imports.service import run_import, save_mapping

    overrides = _maps(args.map)
    with session(args) as (_ws, ctx):
        bar = _Bar(sys.stderr) if sys.stderr.isatty() and not out.as_json else None
        try:
            report = run_import(ctx, args.object, args.file, profile=args.mapping, overrides=overrides,
                                locale=args.locale, dry_run=args.dry_run, progress=bar)
        finally:
            if bar:
                bar.close()
        if args.save_mapping and report.ok:
            save_mapping(ctx, args.save_mapping, args.object, report.mapping, args.locale or "")
            report.notes.append(_("Mapping saved as '{name}'; reuse it with --mapping '{name}'.").format(
                name=args.save_mapping))
    out.result(report.record(), lambda: report_text(report))
    return 0 if report.ok else 1


def _mappings(args, out) -> int:
    import json

    from invoice_tui.imports.service import list_mappings

    with session(args) as (_ws, _ctx):
        rows = [{"name": m.name, "object": m.object, "locale": m.locale, "columns": json.loads(m.columns)}
                for m in list_mappings(args.object)]
    out.result(rows, lambda: table([_("Object"), _("Name"), _("Locale"), _("Columns")],
                                   [(r["object"], r["name"], r["locale"], str(len(r["columns"]))) for r in rows])
               if rows else _("No saved mappings; save one with: invoice-tui import … --save-mapping NAME"))
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("import", help=_("import contacts, companies, invoices or payments from CSV/XLSX (R52)"),
                              description=_("Import rows from a CSV or XLSX file, all or nothing: columns are "
                                          "matched by header in English, French, German or Spanish (as the "
                                          "export writes them), from a saved mapping, or with --map."))
    add_common_json(p)
    p.add_argument("object", choices=OBJECTS, help=_("what the file holds (invoices: one row per line item)"))
    p.add_argument("--file", required=True, metavar=_("PATH"), help=_("the .csv or .xlsx file"))
    p.add_argument("--mapping", metavar=_("NAME"), help=_("use a saved mapping profile"))
    p.add_argument("--map", action="append", metavar="FIELD=HEADER", help=_("map a field to a column by hand (the others are matched by header or come from --mapping; "
                        "FIELD= leaves a field out)"))
    p.add_argument("--save-mapping", metavar=_("NAME"), help=_("save the mapping used under NAME (after a clean run)"))
    p.add_argument("--locale", metavar="L", help=_("read numbers and dates as in L, e.g. fr_FR for 1 234,56 and "
                                                   "31/12/2026 (default: dot decimals, ISO dates)"))
    p.add_argument("--dry-run", action="store_true", help=_("check every row, write nothing"))
    p.set_defaults(handler=_import)

    mp = subparsers.add_parser("import-mappings", help=_("list saved import mappings"),
                               description=_("List the workspace's saved import mapping profiles."))
    add_common_json(mp)
    mp.add_argument("--object", choices=OBJECTS, help=_("only the mappings of this object"))
    mp.set_defaults(handler=_mappings)
