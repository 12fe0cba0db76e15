"""The app's one data table: Textual's ``DataTable`` whose cells and labels pass through the one
sanitizer (``domain.text.safe``, R55) and are never read as Rich markup.

Textual's table reads a ``str`` cell as markup (a contact named ``[/]`` would crash the draw, one
named ``[link=…]`` would become a hyperlink) and draws control characters as they are (a name
holding ``ESC ] 52`` would write the user's clipboard). Every table of the app is this class
(``tests/test_architecture.py`` holds that); cells read back (``get_row_at``) are the escaped text.
"""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.widgets import DataTable as _TextualDataTable

from invoice_tui.domain.text import has_control, safe


def cell_text(value):
    """A cell as the table may draw it: text sanitized to one line and markup-escaped."""
    if isinstance(value, str):
        return escape(safe(value, line=True))
    if isinstance(value, Text) and has_control(value.plain):
        return Text(safe(value.plain, line=True), style=value.style)
    return value


class DataTable(_TextualDataTable):
    def add_column(self, label, *, width=None, key=None, default=None):  # type: ignore[override]
        return super().add_column(cell_text(label), width=width, key=key, default=default)

    def add_row(self, *cells, height=1, key=None, label=None):  # type: ignore[override]
        return super().add_row(*map(cell_text, cells), height=height, key=key,
                               label=None if label is None else cell_text(label))

    def update_cell(self, row_key, column_key, value, *, update_width=False):  # type: ignore[override]
        super().update_cell(row_key, column_key, cell_text(value), update_width=update_width)
