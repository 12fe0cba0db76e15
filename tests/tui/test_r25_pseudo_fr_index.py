"""Issue 25, point 4, for the invoice index and what it opens: every screen state, modal and dialog
rendered at 80×24 under the pseudo-locale (``tests/i18nkit.py``); a visible word outside ⟦…⟧ that is
not data is a string nobody marked. Opened as a user does: the keys of the index.

Data, besides the workspace's: a name cut to fit its column ("Ada Lov…") is still a name (each
word's beginnings are allowed), and the export dialog lists each header language by its own name
("English", "Français": a language's endonym is not translated).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_helpers import dataset_app  # noqa: E402
from index_helpers import settle as settle_index  # noqa: E402
from test_invoice_support import settle  # noqa: E402
from tests.i18nkit import _WORD, assert_all_marked, render_pseudo, workspace_data  # noqa: E402

from invoice_tui.modals.export import LANGUAGE_NAMES  # noqa: E402


def cut_names() -> list[str]:
    """The beginnings of every data word (a name cut with "…" to fit its column)."""
    words = {w for item in workspace_data() for w in _WORD.findall(str(item))}
    return [w[:k] for w in words for k in range(2, len(w))]


async def _open(pilot, app, *keys: str) -> None:
    await settle_index(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot, app)


async def _index(pilot, app):
    await _open(pilot, app)


async def _filters(pilot, app):
    await _open(pilot, app, "f")


async def _filters_with_conditions(pilot, app):
    from invoice_tui.domain.filters import Filter, FilterGroup, FilterSet

    await _open(pilot, app)
    app.screen.set_filters(FilterSet(groups=[
        FilterGroup(filters=[Filter(property="status", operator="any_of", values=["open", "draft"]),
                             Filter(property="amount_billed", operator="between", values=["10", "500"])]),
        FilterGroup(filters=[Filter(property="due_date", operator="more_than_days_ago", values=["7"])]),
    ]))
    await settle(pilot, app)
    await pilot.press("f")
    await settle(pilot, app)


async def _filter_date_editor(pilot, app):
    from textual.widgets import Select

    await _open(pilot, app, "f")
    app.screen.query_one("#filter-property", Select).value = "due_date"
    await settle(pilot, app)


async def _columns(pilot, app):
    await _open(pilot, app, "e")


async def _sort(pilot, app):
    await _open(pilot, app, "s")


async def _save_view_as(pilot, app):
    await _open(pilot, app, "S")


async def _rename_view(pilot, app):
    await _open(pilot, app, "right_square_bracket")
    app.screen.action_rename_view()
    await settle(pilot, app)


async def _delete_view(pilot, app):
    await _open(pilot, app, "right_square_bracket")
    app.screen.action_delete_view()
    await settle(pilot, app)


async def _export(pilot, app):
    await _open(pilot, app, "x")


async def _import(pilot, app):
    from invoice_tui.modals.import_dialog import ImportDialog

    await _open(pilot, app)
    app.push_screen(ImportDialog())
    await settle(pilot, app)


async def _quick_search(pilot, app):
    await _open(pilot, app, "slash")
    for ch in "INV-100":
        await pilot.press(ch)
    await pilot.pause(0.4)
    await settle(pilot, app)


async def _view_tabs(pilot, app):
    """A saved team view ("Overdue") active and modified (its tab says so), the tabs and summary."""
    await _open(pilot, app, "right_square_bracket")
    await pilot.press("s")
    await settle(pilot, app)
    await pilot.press("enter")
    await settle(pilot, app)


async def _status_totals(pilot, app):
    """The status line with every currency's totals, the next ones after t."""
    await _open(pilot, app, "t")


async def _empty(pilot, app):
    """No invoice matches the search: the table says so and which keys clear it."""
    await _open(pilot, app)
    app.screen.set_search("nothing matches this")
    await settle(pilot, app)


async def _help(pilot, app):
    await _open(pilot, app, "question_mark")


async def _palette_search(pilot, app):
    await _open(pilot, app, "ctrl+p")
    for ch in "sort":
        await pilot.press(ch)
    await settle(pilot, app)


CASES = {
    "index": _index,
    "filter sidebar": _filters,
    "filter sidebar with conditions": _filters_with_conditions,
    "filter date editor": _filter_date_editor,
    "columns modal": _columns,
    "sort modal": _sort,
    "save view modal": _save_view_as,
    "rename view modal": _rename_view,
    "delete view dialog": _delete_view,
    "export dialog": _export,
    "import dialog": _import,
    "quick search": _quick_search,
    "view tabs": _view_tabs,
    "status line totals": _status_totals,
    "empty index": _empty,
    "help over the index": _help,
    "palette sort commands": _palette_search,
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_r25_pseudo_index_area(sqlite_url, clock, case):
    app, ids = dataset_app(sqlite_url, clock)
    app.test_ids = ids
    typed = ["nothing matches this", "sort", str(Path.cwd())]  # what the user typed; the export's default folder
    text, bare = await render_pseudo(app, CASES[case], data=[*cut_names(), *LANGUAGE_NAMES.values(), *typed])
    assert_all_marked(case, text, bare)
