"""``invoice-tui export`` (R22) and ``invoice-tui export-log``.

    invoice-tui export --format csv|xlsx [--view NAME] [--filter EXPR]… [--or] [--sort [-]PROP]
        [--search TEXT] [--lang en|fr|de|es] [--properties view|all]
        [--associations contacts,companies,payments,line_items] [--association-limit 1000|all]
        [--values labels|internal] [--name NAME] [--out PATH] [--sheet-rows N]

A progress bar goes to stderr when it is a terminal, nothing when piped; the result (the file's
full path and the row count) goes to stdout, as JSON with ``--json``.
"""

from __future__ import annotations

import sys
import time

from invoice_tui.cli._common import CliParser, FilterAction, add_common_json, session, table
from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _, ngettext


def _associations(text: str) -> list[str]:
    from invoice_tui.exports.labels import ASSOCIATIONS

    items = [t.strip().lower().replace("-", "_") for t in (text or "").split(",") if t.strip()]
    if items == ["all"]:
        return list(ASSOCIATIONS)
    if items == ["none"]:
        return []
    bad = [t for t in items if t not in ASSOCIATIONS]
    if bad:
        raise BadInput(_("--associations: '{name}' is not an association; use any of {names} (comma-separated), all "
                         "or none.").format(name=bad[0], names=", ".join(ASSOCIATIONS)), field="associations")
    return items


def _limit(text: str) -> int | None:
    t = (text or "").strip().lower()
    if t == "all":
        return None
    if not t.isdigit() or int(t) < 1:
        raise BadInput(_("--association-limit takes a number of at least 1 or 'all', not '{text}'.").format(text=text),
                       field="association_limit")
    return int(t)


class ProgressBar:
    """``[#####-----]  12,000 / 100,000 rows`` on stderr, redrawn at most ten times a second."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        filled = width if total == 0 else int(width * done / total)
        self.stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] "
                          + ngettext("{done} / {total} row", "{done} / {total} rows", total).format(
                              done=f"{done:,}", total=f"{total:,}"))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _names_type(fs) -> bool:
    return fs is not None and any(f.property == "type" for g in fs.groups for f in g.filters)


def _types(filters) -> tuple[str, ...]:
    """The document types a line-level export carries (``--filter type=invoice,credit_note``)."""
    types: list[str] = []
    for group in filters or []:
        for expr in group or []:
            text = str(expr).replace(" ", "")
            if not text.startswith("type="):
                raise BadInput(_("--rows lines and --object take only --filter type=…, not '{expr}'.").format(
                    expr=expr), field="filter")
            types += [t.replace("-", "_").lower() for t in text[5:].split(",") if t]
    return tuple(dict.fromkeys(types)) or ("invoice",)


def _export_objects(args, out, fmt: str) -> int:
    """R52: ``--rows lines`` (invoices one row per line item) or ``--object contacts|companies|payments``."""
    from invoice_tui.exports.objects import run_object_export

    obj = args.object or "invoices"
    types = _types(args.filters) if obj == "invoices" else ("invoice",)
    with session(args) as (_ws, ctx):
        result = run_object_export(ctx, obj, fmt=fmt, lang=args.lang, values=args.values, path=args.out,
                                   name=args.name or "", types=types)
    n = result.rows
    text = {"invoices": ngettext("Exported {n} line item row to {path}", "Exported {n} line item rows to {path}", n),
            "contacts": ngettext("Exported {n} contact to {path}", "Exported {n} contacts to {path}", n),
            "companies": ngettext("Exported {n} company to {path}", "Exported {n} companies to {path}", n),
            "payments": ngettext("Exported {n} payment to {path}", "Exported {n} payments to {path}", n)}[obj]
    out.result({"path": str(result.path), "rows": result.rows, "format": result.format, "object": obj},
               text.format(n=f"{n:,}", path=result.path))
    return 0


def _export(args, out) -> int:
    from invoice_tui.domain.filters import from_expressions
    from invoice_tui.exports.service import ExportOptions, run_export, view_spec

    fmt = args.format
    if fmt is None and args.out and args.out.lower().endswith((".csv", ".xlsx")):
        fmt = args.out.rsplit(".", 1)[1].lower()
    if fmt is None:
        raise BadInput("export needs --format csv or --format xlsx.", field="format")
    if args.rows == "lines" or args.object:
        if args.object and args.rows == "lines":
            raise BadInput("--rows lines exports invoices; --object exports the other objects: give one.",
                           field="object")
        return _export_objects(args, out, fmt)
    groups = [g for g in (args.filters or []) if g]
    if args.filters and not args.filters[-1]:
        raise BadInput("--or must be followed by a --filter.", field="filter")
    extra = from_expressions(groups) if groups else None
    if args.sheet_rows is not None and args.sheet_rows < 2:
        raise BadInput("--sheet-rows takes a number of at least 2 (the header and one invoice).", field="sheet_rows")
    with session(args) as (_ws, ctx):
        view = view_spec(ctx, args.view) if args.view else None
        if not _names_type(view.filters if view else None):  # issue 21: invoices unless a type is asked for
            from invoice_tui.domain.filters import with_default_type

            extra = with_default_type(extra)
        options = ExportOptions(
            format=fmt, name=args.name or "", lang=args.lang, values=args.values, properties=args.properties,
            view_name=view.name if view else None, columns=list(view.columns) if view else None,
            filters=view.filters if view else None, extra_filters=extra,
            sort=args.sort or (view.sort if view else None), search=args.search or "",
            associations=args.associations or [], association_limit=args.association_limit,
            path=args.out, **({"sheet_row_limit": args.sheet_rows} if args.sheet_rows else {}))
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() and not out.as_json else None
        try:
            result = run_export(ctx, options, progress=bar)
        finally:
            if bar:
                bar.close()
    data = {"path": str(result.path), "rows": result.rows, "format": result.format, "sheets": result.sheets,
            "truncated_cells": result.truncated_cells, "log_id": result.log_id}

    def text() -> str:
        lines = [ngettext("Exported {n} invoice to {path}", "Exported {n} invoices to {path}", result.rows).format(
            n=f"{result.rows:,}", path=result.path)]
        if result.sheets > 1:
            lines.append(_("({n} sheets; each repeats the header)").format(n=result.sheets))
        if result.truncated_cells:
            lines.append(ngettext("{n} association cell was longer than Excel's 32,767 characters and was cut; export "
                                  "CSV or lower --association-limit for the full lists.",
                                  "{n} association cells were longer than Excel's 32,767 characters and were cut; "
                                  "export CSV or lower --association-limit for the full lists.",
                                  result.truncated_cells).format(n=result.truncated_cells))
        return "\n".join(lines)

    out.result(data, text)
    return 0


def _log(args, out) -> int:
    from invoice_tui.exports.service import export_log, log_record

    if args.limit < 1:
        raise BadInput(_("--limit takes a number of at least 1."), field="limit")
    with session(args) as (_ws, ctx):
        entries = export_log(ctx, args.limit)
        records = [log_record(e) for e in entries]
    rows = [(r["created_at"][:19].replace("T", " "), r["user"], r["format"], f"{r['rows']:,}", r["view"] or "",
             r["path"]) for r in records]
    out.result(records, lambda: table([_("When (UTC)"), _("User"), _("Format"), _("Rows"), _("View"), _("File")], rows,
                                      right=(3,)) if rows else _("No exports yet; export with: invoice-tui export "
                                                                   "--format csv"))
    return 0


def register(subparsers) -> None:
    from invoice_tui.domain.catalogue import LANGUAGES

    p = subparsers.add_parser("export", help=_("export invoices to CSV or XLSX (R22)"),
                              description=_("Export the invoices of a view (or all invoices) to a CSV or XLSX "
                                          "file, streaming; the export is recorded in the export log."))
    # CliParser reads "--sort -due_date" as a descending sort rather than an unknown option.
    p.__class__ = CliParser
    add_common_json(p)
    p.add_argument("--format", choices=("csv", "xlsx"), help=_("file format (default: from --out's extension)"))
    p.add_argument("--view", metavar=_("NAME"), help=_("export this saved view: its filters, sort and columns"))
    p.add_argument("--filter", dest="filters", action=FilterAction, metavar="EXPR",
                   help=_("only invoices matching EXPR, e.g. status=open, amount_billed>100 (with --view: both)"))
    p.add_argument("--or", dest="filters", action=FilterAction, nargs=0, const="or",
                   help=_("start a new filter group (groups are ORed)"))
    p.add_argument("--sort", metavar="[-]PROP", help=_("sort by a property; a leading - sorts descending"))
    p.add_argument("--search", metavar=_("TEXT"), help=_("quick search in number, contact, company and PO"))
    p.add_argument("--lang", choices=LANGUAGES, default="en", help=_("column header language (default en)"))
    p.add_argument("--properties", choices=("view", "all"), default="view",
                   help=_("the view's columns (default) or every property"))
    p.add_argument("--associations", type=_associations, metavar="LIST",
                   help=_("add columns listing associated contacts, companies, payments, line_items (comma-separated)"))
    p.add_argument("--association-limit", type=_limit, default=1000, metavar="N|all",
                   help=_("at most N associated records per invoice and column (default 1000), or all"))
    p.add_argument("--values", choices=("labels", "internal"), default="labels",
                   help=_("choice values as translated labels (default) or internal values"))
    p.add_argument("--name", metavar=_("NAME"), help=_("export name, used as the file name (default: view and date)"))
    p.add_argument("--out", metavar=_("PATH"), help=_("a folder (default: the current directory) or a file to write"))
    p.add_argument("--sheet-rows", type=int, metavar="N",
                   help=_("XLSX rows per sheet, header included (default and maximum 1,048,576)"))
    p.add_argument("--rows", choices=("invoices", "lines"), default="invoices",
                   help=_("one row per invoice (default) or per line item, with every line field (R52: re-importable)"))
    p.add_argument("--object", choices=("contacts", "companies", "payments"),
                   help=_("export every contact, company or payment instead of invoices (R52: re-importable)"))
    p.set_defaults(handler=_export)

    lp = subparsers.add_parser("export-log", help=_("list recent exports (who, when, what, rows, file)"),
                               description=_("List the workspace's recent exports, newest first."))
    add_common_json(lp)
    lp.add_argument("--limit", type=int, default=50, metavar="N", help=_("at most N entries (default 50)"))
    lp.set_defaults(handler=_log)
