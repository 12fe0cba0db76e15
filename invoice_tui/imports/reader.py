"""Rows of a CSV or XLSX file, streamed: ``(row number, cells as text)``, the header first.

CSV: the standard library's reader (UTF-8, a BOM allowed; the separator — comma, semicolon or
tab — is sniffed from the first lines). XLSX: openpyxl in read-only mode (every sheet in turn, a
repeated header row skipped), cells turned into text exactly: dates as ISO 8601, whole numbers
without ``.0``, other numbers as the shortest text that reads back the same float.

Hostile files: a file over :data:`MAX_ROWS` rows or a cell over :data:`MAX_CELL` characters is
refused with its row number (never read whole into memory); control characters are left to the
services' one sanitizer (``domain.text.clean``), which refuses them with the column's name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path
from typing import Iterator

from invoice_tui.domain.errors import BadInput
from invoice_tui.i18n import _

MAX_ROWS = 2_000_000
MAX_CELL = 100_000
SEPARATORS = ",;\t"


def file_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in (".csv", ".txt", ".tsv"):
        return "csv"
    if ext in (".xlsx", ".xlsm"):
        return "xlsx"
    raise BadInput(_("{file}: import reads .csv and .xlsx files.").format(file=path.name), field="file")


def check_file(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise BadInput(_("No file {path}; check the path.").format(path=p), field="file")
    if not os.access(p, os.R_OK):
        raise BadInput(_("{path} cannot be read (permissions).").format(path=p), field="file")
    file_format(p)
    return p


class Source:
    """One file: ``rows()`` yields (row number, cells); ``fraction()`` how much of it is read."""

    def __init__(self, path: str | Path) -> None:
        self.path = check_file(path)
        self.format = file_format(self.path)
        self.size = max(self.path.stat().st_size, 1)
        self._fh = None
        self.total_rows: int | None = None

    # -- CSV ------------------------------------------------------------------------------------
    def _csv_rows(self) -> Iterator[tuple[int, list[str]]]:
        fh = open(self.path, "rb")  # noqa: SIM115 - closed below
        self._fh = fh
        try:
            head = fh.read(65536)
            fh.seek(0)
            try:
                head.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                if exc.start < len(head) - 4:  # not a character cut at the end of the sample
                    raise BadInput(_("{file} is not UTF-8 text; save it as CSV UTF-8 and import it again.").format(
                        file=self.path.name), field="file") from None
            sample = head.decode("utf-8-sig", errors="ignore")
            first = sample.splitlines()[0] if sample else ""
            delimiter = max(SEPARATORS, key=first.count) if first else ","
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
            reader = csv.reader(text, delimiter=delimiter)
            csv.field_size_limit(MAX_CELL)
            n = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    raise BadInput(_("Row {row}: the file cannot be read as CSV ({reason}); a cell holds at most "
                                     "{limit} characters.").format(row=reader.line_num, reason=exc,
                                                                   limit=f"{MAX_CELL:,}"), field="file") from None
                except UnicodeDecodeError:
                    raise BadInput(_("Row {row}: {file} is not UTF-8 text; save it as CSV UTF-8.").format(
                        row=reader.line_num + 1, file=self.path.name), field="file") from None
                n += 1
                if n > MAX_ROWS:
                    raise BadInput(_("{file} has more than {limit} rows; split it.").format(
                        file=self.path.name, limit=f"{MAX_ROWS:,}"), field="file")
                if not any(c.strip() for c in cells):
                    continue
                yield n, cells
        finally:
            fh.close()

    # -- XLSX -----------------------------------------------------------------------------------
    def _xlsx_rows(self) -> Iterator[tuple[int, list[str]]]:
        try:
            import openpyxl
        except ImportError:  # pragma: no cover - a dependency
            raise BadInput(_("Reading XLSX needs openpyxl; install invoice-tui with its dependencies.")) from None
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # zip or XML errors of a broken or hostile file
            raise BadInput(_("{file} cannot be read as XLSX ({reason}).").format(
                file=self.path.name, reason=type(exc).__name__), field="file") from None
        try:
            self.total_rows = sum((ws.max_row or 0) for ws in book.worksheets)
            header: list[str] | None = None
            n = 0
            for ws in book.worksheets:
                first = True
                for values in ws.iter_rows(values_only=True):
                    n += 1
                    if n > MAX_ROWS:
                        raise BadInput(_("{file} has more than {limit} rows; split it.").format(
                        file=self.path.name, limit=f"{MAX_ROWS:,}"), field="file")
                    cells = [cell_text(v) for v in values]
                    while cells and cells[-1] == "":
                        cells.pop()
                    if not cells:
                        continue
                    if first:
                        first = False
                        if header is not None and cells == header:
                            continue  # a further sheet repeats the header
                    if header is None:
                        header = cells
                    if any(len(c) > MAX_CELL for c in cells):
                        raise BadInput(_("Row {row}: a cell is longer than {limit} characters.").format(
                            row=n, limit=f"{MAX_CELL:,}"), field="file")
                    yield n, cells
        finally:
            book.close()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        return self._csv_rows() if self.format == "csv" else self._xlsx_rows()

    def fraction(self, row: int) -> float:
        if self.format == "csv" and self._fh is not None and not self._fh.closed:
            return min(self._fh.tell() / self.size, 1.0)
        if self.total_rows:
            return min(row / self.total_rows, 1.0)
        return 0.0


def cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def header_and_rows(path: str | Path) -> tuple[Source, list[str], Iterator[tuple[int, list[str]]]]:
    src = Source(path)
    it = src.rows()
    try:
        _first, header = next(it)
    except StopIteration:
        raise BadInput(_("{file} is empty; the first row names the columns.").format(file=src.path.name),
                       field="file") from None
    return src, [h.strip() for h in header], it


def preview(path: str | Path, n: int = 5) -> tuple[list[str], list[tuple[int, list[str]]]]:
    src, header, it = header_and_rows(path)
    rows = []
    for row in it:
        rows.append(row)
        if len(rows) >= n:
            break
    it.close()
    return header, rows
