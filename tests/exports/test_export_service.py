"""R22 export, read back with csv and openpyxl, on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from invoice_tui.db.export_models import ExportLog
from invoice_tui.domain import catalogue
from invoice_tui.domain.filters import from_expressions
from invoice_tui.domain.errors import BadInput
from invoice_tui.exports import labels
from invoice_tui.exports.service import ExportCancelled, ExportOptions, default_folder, remember_folder, run_export
from tests.exports.conftest import by_header, read_csv, read_xlsx

ALL = [p.id for p in catalogue.PROPERTIES]


def export(admin, tmp_path, **kw):
    (tmp_path / "out").mkdir(exist_ok=True)  # the workspace file lives in tmp_path
    kw.setdefault("folder", str(tmp_path / "out"))
    kw.setdefault("name", "test")
    return run_export(admin, ExportOptions(**kw))


def test_r22_header_language_and_translated_choices(ws, admin, data, tmp_path):
    for lang in ("en", "fr", "de", "es"):
        check_language(admin, tmp_path, lang)


def check_language(admin, tmp_path, lang):
    res = export(admin, tmp_path, format="csv", lang=lang, properties="all",
                 associations=["contacts", "companies", "payments", "line_items"])
    rows = read_csv(res.path)
    assert rows[0] == [catalogue.get(p).label(lang) for p in ALL] + [
        labels.ASSOCIATION_LABELS[a][lang] for a in labels.ASSOCIATIONS]
    status = rows[0][ALL.index("status")]
    got = {r[ALL.index("number")]: r for r in rows[1:]}
    assert got["INV-1001"][ALL.index("status")] == catalogue.CHOICE_LABELS["status"]["open"][lang]
    assert got["INV-1002"][ALL.index("overdue")] == catalogue.CHOICE_LABELS["overdue"]["true"][lang]
    assert got["INV-1001"][ALL.index("allow_partial")] == catalogue.CHOICE_LABELS["allow_partial"]["true"][lang]
    assert got[""][ALL.index("status")] == catalogue.CHOICE_LABELS["status"]["draft"][lang]
    assert status == catalogue.get("status").label(lang)
    payments_cell = got["INV-1001"][-2]
    assert labels.PAYMENT_METHOD_LABELS["bank_transfer"][lang] in payments_cell


def test_r22_internal_values(ws, admin, data, tmp_path):
    res = export(admin, tmp_path, format="xlsx", lang="fr", values="internal", properties="all",
                 associations=["payments"])
    [rows] = read_xlsx(res.path)
    assert rows[0][0] == "ID de l'enregistrement"  # headers stay translated
    got = by_header(rows, "Numéro")
    assert got["INV-1001"]["Statut"] == "open"
    assert got["INV-1002"]["En retard"] == "true"
    assert got["INV-1001"]["Origine"] == "manual"
    assert got["INV-1001"]["Paiements associés"] == "2026-03-16 100.05 EUR, bank_transfer, TRF-1"


def test_r22_view_columns_vs_all_properties(ws, admin, data, tmp_path):
    view = ["number", "amount_billed", "status"]
    res = export(admin, tmp_path, format="csv", columns=view, properties="view")
    assert read_csv(res.path)[0] == ["Number", "Amount billed", "Status"]
    res = export(admin, tmp_path, format="csv", properties="view")  # no view: the default columns
    assert read_csv(res.path)[0] == [catalogue.get(c).label() for c in catalogue.DEFAULT_COLUMNS]
    res = export(admin, tmp_path, format="csv", columns=view, properties="all")
    assert read_csv(res.path)[0] == [catalogue.get(c).label() for c in ALL]


def test_r22_filters_and_sort_of_the_view(ws, admin, data, tmp_path):
    fs = from_expressions([["status=open"]])
    res = export(admin, tmp_path, format="csv", columns=["number", "currency"], filters=fs, sort="-number")
    assert read_csv(res.path)[1:] == [["INV-1002", "KWD"], ["INV-1001", "EUR"]]
    assert res.rows == 2
    # groups are ORed; extra filters (the CLI's --filter next to --view) are ANDed with the view's
    fs = from_expressions([["currency=JPY"], ["overdue=true"]])
    res = export(admin, tmp_path, format="xlsx", columns=["currency"], filters=fs, sort="currency")
    assert read_xlsx(res.path)[0][1:] == [["JPY"], ["KWD"]]
    res = export(admin, tmp_path, format="csv", columns=["currency"], filters=fs,
                 extra_filters=from_expressions([["status=draft"]]))
    assert read_csv(res.path)[1:] == [["JPY"]]
    res = export(admin, tmp_path, format="csv", columns=["currency"], search="INV-1002")
    assert read_csv(res.path)[1:] == [["KWD"]]


def test_r22_association_names_and_cap(ws, admin, data, tmp_path):
    assocs = ["contacts", "companies", "payments", "line_items"]
    res = export(admin, tmp_path, format="csv", columns=["number"], associations=assocs, association_limit=None)
    got = by_header(read_csv(res.path), "Number")["INV-1001"]
    # billing contact / main company first; the "=" name is neutralised only at the cell's start
    assert got["Associated contacts"] == 'Ada Lovelace <ada@example.com>; =HYPERLINK("x") <eve@example.com>'
    assert got["Associated companies"] == "Acme; +Plus Corp"
    assert got["Associated payments"] == "2026-03-16 100.05 EUR, Bank transfer, TRF-1"
    assert got["Associated line items"] == "Design; -Minus line; Support"
    jpy = by_header(read_csv(res.path), "Number")[""]
    assert jpy["Associated contacts"] == "'=HYPERLINK(\"x\") <eve@example.com>"
    assert jpy["Associated payments"] == ""

    res = export(admin, tmp_path, format="xlsx", columns=["number"], associations=assocs, association_limit=1)
    got = by_header(read_xlsx(res.path)[0], "Number")["INV-1001"]
    assert got["Associated contacts"] == "Ada Lovelace <ada@example.com>"
    assert got["Associated companies"] == "Acme"
    assert got["Associated line items"] == "Design"
    res = export(admin, tmp_path, format="csv", columns=["number"], associations=["line_items"], association_limit=2)
    assert by_header(read_csv(res.path), "Number")["INV-1001"]["Associated line items"] == "Design; -Minus line"


def test_r22_association_default_cap_is_1000(ws, admin, data, tmp_path):
    opts = ExportOptions(format="csv")
    assert opts.association_limit == 1000
    with pytest.raises(BadInput):
        run_export(admin, {"format": "csv", "association_limit": 0, "folder": str(tmp_path)})


def test_r22_csv_plain_numbers_and_iso_dates(ws, admin, data, tmp_path):
    res = export(admin, tmp_path, format="csv", properties="all")
    got = by_header(read_csv(res.path), "Number")
    eur, kwd, jpy = got["INV-1001"], got["INV-1002"], got[""]
    assert (eur["Amount billed"], eur["Amount paid"], eur["Balance due"]) == ("150.05", "100.05", "50.00")
    assert (kwd["Amount billed"], kwd["Days overdue"]) == ("1.234", "43")
    assert jpy["Amount billed"] == "1000"
    assert kwd["Invoice date"] == "2026-01-02" and kwd["Due date"] == "2026-02-01"
    assert eur["Payment date"] == "" and eur["Create date"] == "2026-03-16T09:30:00"
    assert eur["Record ID"] == str(data.eur.id)


def test_r22_xlsx_numbers_and_dates_are_typed(ws, admin, data, tmp_path):
    import openpyxl

    res = export(admin, tmp_path, format="xlsx", properties="all")
    sheet = openpyxl.load_workbook(res.path).worksheets[0]
    head = [c.value for c in sheet[1]]
    rows = {r[head.index("Number")].value or "": {h: c for h, c in zip(head, r)} for r in sheet.iter_rows(min_row=2)}
    eur, kwd, jpy = rows["INV-1001"], rows["INV-1002"], rows[""]
    assert eur["Amount billed"].value == pytest.approx(150.05) and eur["Amount billed"].data_type == "n"
    assert eur["Amount billed"].number_format == '#,##0.00 "EUR"'
    assert kwd["Amount billed"].value == pytest.approx(1.234)
    assert kwd["Amount billed"].number_format == '#,##0.000 "KWD"'
    assert jpy["Amount billed"].value == 1000 and jpy["Amount billed"].number_format == '#,##0 "JPY"'
    assert kwd["Due date"].value == dt.datetime(2026, 2, 1) and kwd["Due date"].is_date
    assert kwd["Due date"].number_format == "yyyy-mm-dd"
    assert eur["Create date"].value == dt.datetime(2026, 3, 16, 9, 30) and eur["Create date"].is_date
    assert kwd["Days overdue"].value == 43 and eur["Record ID"].data_type == "n"
    assert eur["Payment date"].value is None
    assert eur["Status"].value == "Open"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_r22_formula_injection_neutralised(ws, admin, data, tmp_path, fmt):
    res = export(admin, tmp_path, format=fmt, properties="all", associations=["companies", "contacts", "line_items"])
    rows = read_csv(res.path) if fmt == "csv" else read_xlsx(res.path)[0]
    got = by_header(rows, "Number")
    assert got["INV-1001"]["Title"] == "'=SUM(A1:A2)"
    assert got[""]["Billing contact"] == "'=HYPERLINK(\"x\")"
    assert got[""]["Comments"] == "'\tnote"
    for row in rows[1:]:
        for cell in row:
            if isinstance(cell, str) and cell:
                assert cell[0] not in "=+-@\t\r", cell


def test_r22_cancel_leaves_nothing_behind(ws, admin, data, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for fmt in ("csv", "xlsx"):
        cancel = threading.Event()
        seen = []

        def progress(done, total):
            seen.append((done, total))
            if done >= 1:
                cancel.set()

        with pytest.raises(ExportCancelled):
            run_export(admin, ExportOptions(format=fmt, folder=str(tmp_path), name="cancelled", batch_size=1),
                       progress=progress, cancel=cancel)
        assert seen[0] == (0, 3) and seen[-1] == (1, 3)
        assert list(tmp_path.iterdir()) == []
    assert ExportLog.select().count() == 0


def test_r22_failure_leaves_nothing_behind(ws, admin, data, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    def boom(done, total):
        if done:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run_export(admin, ExportOptions(format="xlsx", folder=str(tmp_path), name="x", batch_size=1), progress=boom)
    assert list(tmp_path.iterdir()) == []


def test_r22_xlsx_sheets_split_with_header_repeated(ws, admin, data, tmp_path):
    res = export(admin, tmp_path, format="xlsx", columns=["number", "currency"], sort="id", sheet_row_limit=3)
    sheets = read_xlsx(res.path)
    assert res.rows == 3 and res.sheets == 2
    assert sheets == [[["Number", "Currency"], ["INV-1001", "EUR"], ["INV-1002", "KWD"]],
                      [["Number", "Currency"], [None, "JPY"]]]
    import openpyxl

    assert openpyxl.load_workbook(res.path).sheetnames == ["test", "test (2)"]


def test_r22_export_log_records_who_what_rows_and_file(ws, admin, data, tmp_path):
    fs = from_expressions([["status=open"]])
    res = export(admin, tmp_path, format="csv", view_name="Open ones", columns=["number"], filters=fs,
                 associations=["payments"], association_limit=None, lang="de", name="Q1")
    entry = ExportLog.get_by_id(res.log_id)
    assert entry.user_login == "alice" and entry.created_at == dt.datetime(2026, 3, 16, 9, 30)
    assert (entry.format, entry.rows, entry.path, entry.name) == ("csv", 2, str(res.path), "Q1")
    assert entry.view_name == "Open ones" and json.loads(entry.properties) == ["number"]
    assert json.loads(entry.associations) == ["payments"] and entry.association_limit is None
    assert json.loads(entry.filters)["view"]["groups"][0]["filters"][0]["property"] == "status"
    assert (entry.language, entry.values) == ("de", "labels")


def test_r22_file_name_from_export_name_never_replaces(ws, admin, data, tmp_path):
    first = export(admin, tmp_path, format="csv", name="Q1: north/south")
    second = export(admin, tmp_path, format="csv", name="Q1: north/south")
    assert first.path.name == "Q1- north-south.csv"
    assert second.path.name == "Q1- north-south (2).csv"
    assert first.path.parent == (tmp_path / "out").resolve()
    default = export(admin, tmp_path, format="xlsx", name="")
    assert default.path.name == "invoices 2026-03-16.xlsx"
    with pytest.raises(BadInput):
        export(admin, tmp_path, format="csv", folder=str(tmp_path / "missing"))


def test_r22_destination_folder_remembered_per_user(ws, admin, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_folder(admin) == str(tmp_path)
    target = tmp_path / "exports"
    target.mkdir()
    remember_folder(admin, target)
    assert default_folder(admin) == str(target.resolve())


def test_r22_empty_export_has_a_header(ws, admin, tmp_path):
    res = export(admin, tmp_path, format="xlsx", columns=["number"])
    assert res.rows == 0 and read_xlsx(res.path) == [[["Number"]]]


def test_r22_postgresql_streams_from_a_server_side_cursor(ws, admin, data, tmp_path):
    from invoice_tui.db import database, is_postgres

    if not is_postgres():
        pytest.skip("server-side cursors are PostgreSQL's; SQLite's cursor steps through the rows anyway")
    open_cursors = []

    def progress(done, total):
        if done:
            open_cursors.append(database.obj.execute_sql("SELECT count(*) FROM pg_cursors").fetchone()[0])

    run_export(admin, ExportOptions(format="csv", folder=str(tmp_path), batch_size=1, associations=["contacts"]),
               progress=progress)
    assert open_cursors == [1, 1, 1]
