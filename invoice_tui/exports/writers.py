"""CSV and XLSX writers that take rows batch by batch and keep nothing but the current batch.

Both write to a temporary file beside the destination; ``finish()`` renames it onto the final
name (``os.replace``, atomic on one file system) and ``abort()`` removes it, so a cancelled or
failed export never leaves a half-written file under the final name.

Rows arrive as the export's SQL produced them: the visible cells first (already converted in SQL,
see ``columns``), then helper columns (currency, exponent) the XLSX writer needs for money cells.
Association cells (lists joined by ``"; "``) come beside each batch.
"""

from __future__ import annotations

import csv
import os
import secrets
from pathlib import Path
from typing import Sequence

from invoice_tui.domain.text import has_control, safe
from invoice_tui.exports.columns import DATE, DATETIME, MONEY, NUMBER

XLSX_MAX_ROWS = 1_048_576  # Excel's rows per sheet, header included
XLSX_MAX_CELL = 32_767  # Excel's characters per cell
SHEET_NAME_MAX = 31


def temp_path(final: Path) -> Path:
    """A new, hidden, uniquely named, empty file in the destination folder (created exclusively,
    with the permissions the user's umask gives any new file)."""
    for _attempt in range(100):
        candidate = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
        try:
            with open(candidate, "x"):
                return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file beside {final}")


class _Sink:
    extension = ""

    def __init__(self, final: Path, headers: Sequence[str], kinds: Sequence[str]) -> None:
        self.final = final
        self.headers = list(headers)
        self.kinds = list(kinds)
        self.tmp = temp_path(final)
        self.rows = 0
        self.truncated_cells = 0

    def sanitized(self, batch: list[tuple], extras: list[tuple] | None,
                  visible: int) -> tuple[list[tuple], list[tuple] | None]:
        """R55: no control character reaches the file. Stored text passes the one sanitizer
        (``safe``: controls and bidi controls shown as ``\\x1b``/``\\u202e``; newlines and tabs stay,
        inside the quoted CSV field or the XLSX cell). One scan of a batch's text finds the rare
        row that needs it, so a clean batch costs a join."""
        text = [c for c, kind in enumerate(self.kinds[:visible]) if kind not in (NUMBER, MONEY, DATE, DATETIME)]

        def dirty(row) -> bool:
            return any(type(v) is str and has_control(v) for v in row)

        def clean(row: tuple, cols) -> tuple:
            return tuple(safe(v) if type(v) is str and c in cols else v for c, v in enumerate(row))

        if text and has_control("\n".join([v for r in batch for c in text if type(v := r[c]) is str])):
            cols = set(text)
            batch = [clean(r, cols) if dirty(r[:visible]) else r for r in batch]
        if extras is not None and has_control("\n".join([v for e in extras for v in e if type(v) is str])):
            extras = [clean(e, range(len(e))) if dirty(e) else e for e in extras]
        return batch, extras

    def finish(self) -> Path:
        self._close()
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        try:
            self._discard()
        finally:
            try:
                self.tmp.unlink()
            except FileNotFoundError:
                pass

    def _close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _discard(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class CsvSink(_Sink):
    """UTF-8 CSV (RFC 4180 quoting, CRLF line ends) with one header row."""

    extension = ".csv"

    def __init__(self, final: Path, headers: Sequence[str], kinds: Sequence[str]) -> None:
        super().__init__(final, headers, kinds)
        self.fh = open(self.tmp, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in finish/abort
        self.writer = csv.writer(self.fh)
        self.writer.writerow(self.headers)
        self.width = len(self.headers)

    def write(self, batch: list[tuple], extras: list[tuple] | None, visible: int) -> None:
        batch, extras = self.sanitized(batch, extras, visible)
        if extras is None:
            if len(batch[0]) == visible:
                self.writer.writerows(batch)  # the rows are the file's rows: nothing to do per row
            else:
                self.writer.writerows(r[:visible] for r in batch)
        else:
            self.writer.writerows(r[:visible] + e for r, e in zip(batch, extras))
        self.rows += len(batch)

    def _close(self) -> None:
        self.fh.close()

    def _discard(self) -> None:
        self.fh.close()


class XlsxSink(_Sink):
    """XLSX in xlsxwriter's constant-memory mode: each row is flushed to disk when the next one
    starts. A sheet holds at most ``sheet_row_limit`` rows (header included); a larger export
    continues on further sheets with the header repeated — never truncated."""

    extension = ".xlsx"

    def __init__(self, final: Path, headers: Sequence[str], kinds: Sequence[str], *, sheet_name: str,
                 sheet_row_limit: int = XLSX_MAX_ROWS, currency_index: int | None = None,
                 exponent_index: int | None = None) -> None:
        import xlsxwriter

        if not 2 <= sheet_row_limit <= XLSX_MAX_ROWS:
            raise ValueError(f"sheet_row_limit must be between 2 and {XLSX_MAX_ROWS}")
        super().__init__(final, headers, kinds)
        self.book = xlsxwriter.Workbook(str(self.tmp), {"constant_memory": True, "strings_to_numbers": False,
                                                        "strings_to_formulas": False, "strings_to_urls": False})
        self.sheet_name = _sheet_name(sheet_name)
        self.limit = sheet_row_limit
        self.currency_index = currency_index
        self.exponent_index = exponent_index
        self.header_fmt = self.book.add_format({"bold": True})
        self.date_fmt = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_fmt = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.money_fmts: dict[tuple[str, int], object] = {}
        self.sheets: list = []
        self.sheet = None
        self.row = 0  # next row index on the current sheet
        self._new_sheet()

    # -- sheets ---------------------------------------------------------------------------------
    def _new_sheet(self) -> None:
        if self.sheet is not None:
            self._finish_sheet()
        n = len(self.sheets) + 1
        name = self.sheet_name if n == 1 else _sheet_name(self.sheet_name, f" ({n})")
        ws = self.book.add_worksheet(name)
        widths = {MONEY: 14, NUMBER: 10, DATE: 11, DATETIME: 19}
        for c, kind in enumerate(self.kinds):
            ws.set_column(c, c, widths.get(kind, 22))
        for c, h in enumerate(self.headers):
            ws.write_string(0, c, h, self.header_fmt)
        ws.freeze_panes(1, 0)
        self.sheets.append(ws)
        self.sheet = ws
        self.row = 1

    def _finish_sheet(self) -> None:
        if self.row > 1:
            self.sheet.autofilter(0, 0, self.row - 1, len(self.headers) - 1)

    def _money_fmt(self, currency: str, exponent: int):
        key = (currency, exponent)
        fmt = self.money_fmts.get(key)
        if fmt is None:
            digits = "#,##0" + ("." + "0" * exponent if exponent > 0 else "")
            code = "".join(ch for ch in (currency or "") if ch.isalnum())
            fmt = self.book.add_format({"num_format": f'{digits} "{code}"' if code else digits})
            self.money_fmts[key] = fmt
        return fmt

    # -- rows -----------------------------------------------------------------------------------
    def write(self, batch: list[tuple], extras: list[tuple] | None, visible: int) -> None:
        batch, extras = self.sanitized(batch, extras, visible)
        plan = list(enumerate(self.kinds[:visible]))
        number, money, date, datetime_ = NUMBER, MONEY, DATE, DATETIME
        ci, ei = self.currency_index, self.exponent_index
        date_fmt, datetime_fmt = self.date_fmt, self.datetime_fmt
        divisors = {0: 1, 1: 10, 2: 100, 3: 1000, 4: 10000}
        first_extra = visible
        for i, row in enumerate(batch):
            if self.row >= self.limit:
                self._new_sheet()
            r = self.row
            ws = self.sheet
            write_string, write_number = ws.write_string, ws.write_number
            for c, kind in plan:
                v = row[c]
                if v is None:
                    continue
                if kind == number:
                    write_number(r, c, v)
                elif kind == money:
                    e = row[ei]
                    write_number(r, c, v / divisors.get(e) if e in divisors else v / 10 ** e,
                                 self._money_fmt(row[ci], e))
                elif kind == date:
                    write_number(r, c, v, date_fmt)
                elif kind == datetime_:
                    write_number(r, c, v, datetime_fmt)
                elif v != "":
                    write_string(r, c, v)
            if extras is not None:
                for k, v in enumerate(extras[i]):
                    if v:
                        if write_string(r, first_extra + k, v) == -2:
                            self.truncated_cells += 1
            self.row += 1
        self.rows += len(batch)

    def _close(self) -> None:
        self._finish_sheet()
        self.book.close()

    def _discard(self) -> None:
        """Drop the workbook without assembling it: close and remove its per-sheet temp files."""
        for ws in self.sheets:
            fh = getattr(ws, "row_data_fh", None)
            name = getattr(ws, "row_data_filename", None)
            try:
                if fh is not None and not fh.closed:
                    fh.close()
            finally:
                if name:
                    try:
                        os.unlink(name)
                    except FileNotFoundError:
                        pass
        self.book.fileclosed = True


_SHEET_BAD = set('[]:*?/\\')


def _sheet_name(base: str, suffix: str = "") -> str:
    clean = "".join("_" if ch in _SHEET_BAD or ord(ch) < 32 else ch for ch in base).strip().strip("'") or "Invoices"
    return clean[: SHEET_NAME_MAX - len(suffix)] + suffix


__all__ = ["CsvSink", "XlsxSink", "XLSX_MAX_ROWS", "XLSX_MAX_CELL", "temp_path"]
