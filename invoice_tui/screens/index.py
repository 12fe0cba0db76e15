"""The invoice index: views as tabs, quick search, the advanced-filter sidebar, a line-API table
over any number of invoices, and a status line with the count and per-currency totals.

Keys (every binding has an id for the keymap; ``?`` lists them all):
``enter`` open · ``/`` search · ``f`` filters · ``c`` clear filters · ``s`` sort · ``e`` edit columns
· ``n`` new invoice · ``x`` export · ``ctrl+s`` save view · ``S`` save view as · ``[``/``]`` previous/
next view · ``r`` reload · ``escape`` closes the sidebar or clears the search (never quits) ·
``q`` quits. In the table: ``j``/``k``/arrows, ``g``/``G``/Home/End, PageUp/PageDown, ``h``/``l``.

Changes made by anyone else (another user, the CLI, psql) appear within a second, from the app's
change feed (``db/changes.py``, ``widgets/live.py``): invoices and payments reload the
rows, a changed locale reformats them, a saved view changed elsewhere updates the tabs. The
cursor stays on its row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from invoice_tui.domain import catalogue, views
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.filters import FilterSet, filter_choices
from invoice_tui.domain.localize import number
from invoice_tui.domain.money import format_money, from_minor
from invoice_tui.domain.views import IndexQuery, ViewSpec
from invoice_tui.i18n import N_, _, ngettext
from invoice_tui.startup import resume_gc
from invoice_tui.widgets.error_text import show_error
from invoice_tui.widgets.filter_sidebar import FilterSidebar
from invoice_tui.widgets.invoice_table import InvoiceTable
from invoice_tui.widgets.invoice_worker import ServiceCalls
from invoice_tui.widgets.live import Live
from invoice_tui.widgets.view_tabs import ViewTabs

if TYPE_CHECKING:  # the modals load on first use, not at start-up
    from invoice_tui.modals.save_view import SaveViewInput


STATUS_LINES = 2


def filters_summary(filters: FilterSet, width: int) -> str:
    """The view summary above the table names its conditions (issue 24): "Status is any of Open ·
    Due date before 2026-12-01 · +2 · f edit · c clear"; "or" between groups; as many as fit
    ``width``, then how many more."""
    conditions: list[str] = []
    for gi, group in enumerate(g for g in filters.groups if g.filters):
        for fi, f in enumerate(group.filters):
            text = FilterSidebar.describe(f)
            conditions.append(_("or {condition}").format(condition=text) if gi and not fi else text)
    keys = " · " + _("f edit") + " · " + _("c clear")
    shown: list[str] = []
    for i, cond in enumerate(conditions):
        rest = len(conditions) - i - 1
        candidate = " · ".join(shown + [cond]) + (f" · +{rest}" if rest else "") + keys
        if len(candidate) > width and shown:
            return " · ".join(shown) + f" · +{len(conditions) - i}" + keys
        shown.append(cond)
    return " · ".join(shown) + keys


def status_lines(head: str, parts: list[str], start: int, width: int, lines: int = STATUS_LINES) -> str:
    """The status line's text: ``head`` then the per-currency ``parts`` from ``start`` (rotated),
    each whole, wrapped on at most ``lines`` lines of ``width``. When some do not fit, the last
    line says how many more and which key shows them (issue 24: never cut silently)."""
    if not parts:
        return head
    order = parts[start:] + parts[:start]
    width = max(width, 20)

    def pack(items: list[str], tail: str) -> list[str] | None:
        out, line = [], head
        for item in items + ([tail] if tail else []):
            if len(line) + 3 + len(item) <= width:
                line += " · " + item
            else:
                out.append(line)
                line = item
        out.append(line)
        return out if len(out) <= lines and all(len(x) <= width for x in out) else None

    for shown in range(len(order), 0, -1):
        more = len(order) - shown
        packed = pack(order[:shown], _("+{n} more: t").format(n=more) if more else "")
        if packed is not None:
            return "\n".join(packed)
    return "\n".join(pack([], ngettext("{n} total: t", "{n} totals: t", len(order)).format(n=len(order)))
                     or [head])


class IndexScreen(Live, ServiceCalls, Screen):
    """The first screen: every invoice the user may see, a page at a time."""

    AUTO_FOCUS = "InvoiceTable"
    BINDINGS = [
        Binding("slash", "search", N_("Search"), id="index.search"),
        Binding("f", "filters", N_("Filters"), id="index.filters"),
        Binding("n", "new_invoice", N_("New"), id="index.new"),
        Binding("s", "sort", N_("Sort"), id="index.sort"),
        Binding("e", "columns", N_("Columns"), show=False, id="index.columns"),
        Binding("c", "clear_filters", N_("Clear filters"), show=False, id="index.clear_filters"),
        Binding("x", "export", N_("Export"), show=False, id="index.export"),
        Binding("ctrl+s", "save_view", N_("Save view"), show=False, id="index.save_view"),
        Binding("S", "save_view_as", N_("Save view as"), show=False, id="index.save_view_as"),
        Binding("right_square_bracket", "next_view", N_("Next view"), show=False, id="index.next_view"),
        Binding("left_square_bracket", "previous_view", N_("Previous view"), show=False, id="index.previous_view"),
        Binding("r", "reload", N_("Reload"), show=False, id="index.reload"),
        Binding("comma", "settings", N_("Settings"), show=False, id="index.settings"),
        Binding("R", "reports", N_("Reports"), show=False, id="index.reports"),
        Binding("U", "schedules", N_("Schedules"), show=False, id="index.schedules"),
        Binding("escape", "escape", N_("Close panel / clear search"), show=False, id="index.escape"),
        Binding("q", "app.quit", N_("Quit"), id="index.quit"),
        Binding("t", "next_totals", N_("Next totals"), show=False, id="index.next_totals"),
    ]

    FIRST_PAINT_DEADLINE = 1.0
    """Seconds after mounting by which the tabs and the footer come even if the first rows have not."""

    class ViewsLoaded(Message):
        def __init__(self, views_: list[ViewSpec], active: int | None) -> None:
            super().__init__()
            self.views = views_
            self.active = active

    def __init__(self) -> None:
        super().__init__()
        self.view: ViewSpec = views.all_invoices_view()  # the saved state of the active tab
        self.filters = FilterSet()
        self.columns: list[str] = list(catalogue.DEFAULT_COLUMNS)
        self.sort = views.DEFAULT_SORT
        self.search = ""
        self._choices_asked = False
        self._first_paint_done = False
        self.total: int | None = None
        self.totals: list[views.CurrencyTotal] | None = None
        self._search_timer = None
        self._totals_start = 0  # the first currency the status line shows (t shows the next ones)
        self._totals_shown = 0  # how many currencies' totals the status line shows

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ViewTabs(id="index-tabs")
        yield Input(placeholder=_("Search number, contact, email, company, PO number — Enter to browse, "
                                  "Escape to clear"), id="index-search")
        yield Static("", id="index-filters-summary", markup=False)
        with Horizontal(id="index-body"):
            table = InvoiceTable(id="invoice-table")
            table.with_totals = True  # the count and the per-currency totals come from one query
            table.workspace_locale = True  # read with the rows: the first page waits for nothing else
            yield table
            yield FilterSidebar(id="filter-sidebar")
        yield Static(_("Loading invoices…"), id="index-status", markup=False)
        # the footer is mounted once the first rows are on screen (_after_first_paint)

    @property
    def table(self) -> InvoiceTable:
        return self.query_one(InvoiceTable)

    @property
    def sidebar(self) -> FilterSidebar:
        return self.query_one(FilterSidebar)

    @property
    def index_query(self) -> IndexQuery:
        return IndexQuery(filters=self.filters, sort=self.sort, search=self.search)

    def on_mount(self) -> None:
        self.query_one("#index-search", Input).display = False
        self.sidebar.display = False
        self._summarize()
        self.apply(keep_cursor=False)  # the rows' load reads the workspace's locale first (issue 16)
        self.set_timer(self.FIRST_PAINT_DEADLINE, self._after_first_paint)  # should the first rows be slow to come
        # the sidebar's choices (a scan of every invoice's currency) wait for the first count
        # (_counted): nothing the first paint does not need competes with it (issue 16)

    def on_screen_resume(self) -> None:
        self.check_for_changes()

    # ---- applying the state ------------------------------------------------------------------
    def apply(self, *, keep_cursor: bool = False, columns_changed: bool = True) -> None:
        """Show the current filters, search, sort and columns (a new query: the cursor goes up)."""
        self.total = None
        self.totals = None
        self.table.configure(self.index_query, self.columns if columns_changed else None, keep_cursor=keep_cursor)
        self._summarize()
        self._update_status()

    @property
    def modified(self) -> bool:
        current = ViewSpec(filters=self.filters, columns=self.columns, sort=self.sort)
        return not current.same_content(self.view)

    def _summarize(self) -> None:
        summary = self.query_one("#index-filters-summary", Static)
        if self.filters.count:
            summary.update(filters_summary(self.filters, summary.content_region.width or self.app.size.width - 2))
            summary.display = True
        else:
            summary.display = False
        self.query_one(ViewTabs).mark_modified(self.modified)

    def _update_status(self) -> None:
        status = self.query_one("#index-status", Static)
        if self.total is None:
            status.update(_("Counting invoices…"))
            return
        n = self.total
        locale = self.table.locale
        if self.search:
            text = ngettext("{n} invoice matching “{search}”", "{n} invoices matching “{search}”", n).format(
                n=number(n, locale), search=self.search)
        else:
            text = ngettext("{n} invoice", "{n} invoices", n).format(n=number(n, locale))
        if self.totals is None:
            status.update(text + " · " + _("totals…"))
            return
        parts = [_("{currency} billed {billed}, balance {balance}").format(
                     currency=t.currency,
                     billed=format_money(from_minor(t.billed_minor, t.currency), t.currency, locale),
                     balance=format_money(from_minor(t.balance_minor, t.currency), t.currency, locale))
                 for t in self.totals]
        width = (status.content_region.width or self.app.size.width - 2)
        shown = status_lines(text, parts, self._totals_start, width)
        self._totals_shown = sum(1 for part in parts if part in shown)
        status.update(shown)

    def action_next_totals(self) -> None:
        """Issue 24: the status line shows the totals that fit on its two lines; t shows the next."""
        if self.totals:
            shown = self._shown_totals or len(self.totals)
            self._totals_start = (self._totals_start + shown) % len(self.totals)
            self._update_status()

    @property
    def _shown_totals(self) -> int:
        return self._totals_shown

    def on_resize(self) -> None:
        self._update_status()

    @on(InvoiceTable.Counted)
    def _counted(self, event: InvoiceTable.Counted) -> None:
        if event.query == self.index_query:
            self.total = event.total
            if event.totals is not None:
                self.totals = event.totals
            self._update_status()
        if not self._choices_asked:
            self._choices_asked = True
            self.load_choices()

    @on(InvoiceTable.Failed)
    async def _table_failed(self, event: InvoiceTable.Failed) -> None:
        show_error(self, event.error, title=_("Cannot show these invoices"))
        await self._after_first_paint()

    @on(InvoiceTable.Painted)
    async def _painted(self, event: InvoiceTable.Painted) -> None:
        await self._after_first_paint()

    async def _after_first_paint(self) -> None:
        """What the first rows do not need, once they are on screen (or the load failed; at the
        latest a second after mounting): the saved views' tabs and the footer (issue 16). Textual
        rebuilds the footer's keys on each bindings change, which cost more than the rows' own paint."""
        if self._first_paint_done:
            return
        self._first_paint_done = True
        resume_gc()  # paused by invoice-tui for the start-up (invoice_tui/startup.py)
        self.load_views()
        await self.mount(Footer())
        self.refresh_bindings()  # the footer lists the keys when the bindings are published

    async def language_changed(self) -> None:
        """Issue 25 (``widgets.language.apply_language``): the index composed again in the language
        now in use, then filled as at mount — its footer and saved views' tabs included."""
        self._first_paint_done = False
        self._choices_asked = False
        await self.compose_again()
        self.on_mount()

    # ---- changes made elsewhere (the app's change feed, see widgets/live.py) ---------------------
    def changed_elsewhere(self, change) -> None:
        rows = change.concerns("invoice", "payment", "contact", "company", "user")
        if change.concerns("settings") or rows:
            # the count and the totals follow (InvoiceTable.Counted); a changed locale reformats the rows
            self.table.reload(keep_cursor=True)
        if change.concerns("view"):
            self.load_views()
        if change.concerns("user"):
            self.load_choices()

    @work(thread=True, exclusive=True, group="index-poll", exit_on_error=False)
    def check_for_changes(self) -> None:
        """Look for changes made elsewhere now (the feed looks on its own; for ``r`` and tests)."""
        feed = getattr(self.app, "changes", None)
        if feed is not None:
            feed.check_now()

    def action_settings(self) -> None:
        """Issue 22: the Settings screen (workspace settings for super admins, preferences for all)."""
        from invoice_tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def action_reports(self) -> None:
        """Issue 27: the Reports screen (aging, revenue, top customers, DSO)."""
        from invoice_tui.screens.reports import ReportsScreen

        self.app.push_screen(ReportsScreen())

    def action_schedules(self) -> None:
        """R49: the recurring schedules."""
        from invoice_tui.screens.schedules import SchedulesScreen

        self.app.push_screen(SchedulesScreen())

    def action_reload(self) -> None:
        self.table.reload(keep_cursor=True)
        self.load_views()

    # ---- views -------------------------------------------------------------------------------
    def load_views(self, active: int | None = None) -> None:
        def loaded(found: list[ViewSpec]) -> None:
            self.post_message(self.ViewsLoaded(found, active if active is not None else self.view.id))

        self.call_service(views.list_views, self.app.ctx, done=loaded,  # type: ignore[attr-defined]
                          group="index-views", exclusive=True)

    @on(ViewsLoaded)
    async def _views_loaded(self, event: ViewsLoaded) -> None:
        tabs = self.query_one(ViewTabs)
        if not tabs.ready:
            # the tabs are still being mounted (a busy machine): try again after this refresh
            self.call_after_refresh(self.post_message, self.ViewsLoaded(event.views, event.active))
            return
        await tabs.set_views(event.views, event.active)
        active = tabs.active_view
        if active.id != self.view.id:
            self.switch_view(active)
        else:
            self.view = active
            tabs.mark_modified(self.modified)

    @on(ViewTabs.Switched)
    def _switched(self, event: ViewTabs.Switched) -> None:
        if event.view.id == self.view.id:
            self.view = event.view  # the tabs were rebuilt around the view already shown
            self.query_one(ViewTabs).mark_modified(self.modified)
            return
        self.switch_view(event.view)

    def switch_view(self, view: ViewSpec) -> None:
        self.view = view
        self.filters = view.filters.copy()
        self.columns = list(view.columns)
        self.sort = view.sort
        self.sidebar.set_filters(self.filters)
        self.apply()

    def action_next_view(self) -> None:
        self.query_one(ViewTabs).action_next_tab()

    def action_previous_view(self) -> None:
        self.query_one(ViewTabs).action_previous_tab()

    def action_save_view(self) -> None:
        """Save the changes over the active view (or "save as" for "All invoices" and views
        the user may not change)."""
        if self.view.id is None or not self.view.editable:
            self.action_save_view_as()
            return
        self._run_view_service(views.update_view, self.view.id, filters=self.filters, columns=self.columns,
                               sort=self.sort, done=_("Saved the view '{name}'.").format(name=views.shown_name(self.view)))

    def action_save_view_as(self) -> None:
        from invoice_tui.domain.permissions import has
        from invoice_tui.modals.save_view import SaveViewModal

        ctx = self.app.ctx  # type: ignore[attr-defined]

        def saved(result: SaveViewInput | None) -> None:
            if result is not None:
                self._run_view_service(views.create_view, result.name, filters=self.filters,
                                       columns=self.columns, sort=self.sort, shared=result.shared,
                                       done=_("Saved the view '{name}'.").format(name=result.name))

        name = "" if self.view.id is None else _("{name} (copy)").format(name=views.shown_name(self.view))
        self.app.push_screen(SaveViewModal(_("Save view as"), name, can_share=has(ctx, "edit")), saved)

    def action_rename_view(self) -> None:
        if self.view.id is None:
            self.notify(_("'All invoices' cannot be renamed; save it as a new view first."), severity="warning")
            return
        view_id = self.view.id
        from invoice_tui.modals.save_view import SaveViewModal

        def renamed(result: SaveViewInput | None) -> None:
            if result is not None:
                self._run_view_service(views.rename_view, view_id, result.name,
                                       done=_("Renamed the view to '{name}'.").format(name=result.name))

        self.app.push_screen(SaveViewModal(_("Rename view"), views.shown_name(self.view), show_shared=False), renamed)

    def action_share_view(self, shared: bool = True) -> None:
        if self.view.id is None:
            self.notify(_("Save this view first, then share it."), severity="warning")
            return
        name = views.shown_name(self.view)
        done = (_("The view '{name}' is now shared with the team.") if shared
                else _("The view '{name}' is now private.")).format(name=name)
        self._run_view_service(views.share_view, self.view.id, shared, done=done)

    def action_delete_view(self) -> None:
        if self.view.id is None:
            self.notify(_("'All invoices' is built in and cannot be deleted."), severity="warning")
            return
        view = self.view
        from invoice_tui.modals.dialogs import ConfirmDialog

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run_view_service(views.delete_view, view.id,
                                       done=_("Deleted the view '{name}'.").format(name=name), go_to_all=True)

        name = views.shown_name(view)
        question = (_("Delete the view '{name}' for the whole team? Invoices are not touched.") if view.shared
                    else _("Delete the view '{name}'? Invoices are not touched.")).format(name=name)
        self.app.push_screen(ConfirmDialog(_("Delete view"), question, confirm=_("Delete"), cancel=_("Cancel"),
                                           danger=True), confirmed)

    def _run_view_service(self, fn, *args, done: str = "", go_to_all: bool = False, **kwargs) -> None:
        def finished(result) -> None:
            active = None if go_to_all else (result.id if isinstance(result, ViewSpec) else self.view.id)
            if isinstance(result, ViewSpec):
                self._adopt(result)
            elif go_to_all:
                self._adopt(views.all_invoices_view())
            if done:
                self.notify(done)
            self.load_views(active)

        def refused(exc: InvoiceTuiError) -> None:
            from invoice_tui.modals.dialogs import error_dialog

            self.app.push_screen(error_dialog(exc, _("Cannot save the view")))

        self.call_service(fn, self.app.ctx, *args, done=finished, failed=refused,  # type: ignore[attr-defined]
                          group="index-view-write", exclusive=True, **kwargs)

    def _adopt(self, view: ViewSpec) -> None:
        """The saved view becomes the active one without reloading rows when nothing changed."""
        same = view.same_content(ViewSpec(filters=self.filters, columns=self.columns, sort=self.sort))
        self.view = view
        if not same:
            self.switch_view(view)

    # ---- search ------------------------------------------------------------------------------
    def action_search(self) -> None:
        box = self.query_one("#index-search", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#index-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.25, self._apply_search)

    def _apply_search(self) -> None:
        text = self.query_one("#index-search", Input).value.strip()
        if text != self.search:
            self.search = text
            self.apply()

    @on(Input.Submitted, "#index-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._apply_search()
        self.table.focus()

    def set_search(self, text: str) -> None:
        box = self.query_one("#index-search", Input)
        box.value = text
        box.display = bool(text)
        self.search = text.strip()
        self.apply()

    def action_escape(self) -> None:
        """Close the topmost panel, else clear the search; never quits."""
        if self.sidebar.display:
            self.sidebar.display = False
            self.table.focus()
            return
        box = self.query_one("#index-search", Input)
        if box.display:
            if self._search_timer is not None:
                self._search_timer.stop()
            box.value = ""
            box.display = False
            self.table.focus()
            if self.search:
                self.search = ""
                self.apply()

    # ---- filters -----------------------------------------------------------------------------
    async def action_filters(self) -> None:
        sidebar = self.sidebar
        if sidebar.display and sidebar.has_focus_within:
            sidebar.display = False
            self.table.focus()
            return
        await sidebar.build()  # composed the first time it is shown
        sidebar.display = True
        self.query_one("#filter-property").focus()

    @on(FilterSidebar.Changed)
    def _filters_changed(self, event: FilterSidebar.Changed) -> None:
        self.filters = event.filters
        self.apply()

    def set_filters(self, filters: FilterSet) -> None:
        self.filters = filters
        self.sidebar.set_filters(filters)
        self.apply()

    def action_clear_filters(self) -> None:
        if self.filters.count:
            self.set_filters(FilterSet())

    def load_choices(self) -> None:
        self.call_service(filter_choices, done=lambda found: self.sidebar.set_choices(*found),
                          failed=lambda _exc: None, group="index-choices")  # the lists keep their defaults

    # ---- sort and columns --------------------------------------------------------------------
    def set_sort(self, sort: str) -> None:
        self.sort = views.check_sort(sort)
        self.apply(columns_changed=False)

    def action_sort(self) -> None:
        from invoice_tui.modals.columns import SortModal

        def picked(sort: str | None) -> None:
            if sort:
                self.set_sort(sort)

        self.app.push_screen(SortModal(self.columns, self.sort), picked)

    @on(InvoiceTable.HeaderClicked)
    def _header_clicked(self, event: InvoiceTable.HeaderClicked) -> None:
        if not catalogue.get(event.column).sortable:
            self.notify(_("{column} cannot be sorted.").format(column=catalogue.get(event.column).label()),
                        severity="warning")
            return
        from invoice_tui.modals.columns import next_sort

        self.set_sort(next_sort(self.sort, event.column))

    def action_columns(self) -> None:
        from invoice_tui.modals.columns import ColumnsModal

        def chosen(columns: list[str] | None) -> None:
            if columns:
                self.set_columns(columns)

        self.app.push_screen(ColumnsModal(self.columns), chosen)

    def set_columns(self, columns: list[str]) -> None:
        self.columns = views.check_columns(columns)
        self.apply(keep_cursor=True)

    # ---- opening and creating ----------------------------------------------------------------
    @on(InvoiceTable.Selected)
    def _selected(self, event: InvoiceTable.Selected) -> None:
        self.open_invoice(event.invoice_id)

    def open_invoice(self, invoice_id: int) -> None:
        self.app.open_invoice(invoice_id)  # type: ignore[attr-defined]

    def action_new_invoice(self) -> None:
        from invoice_tui.domain.permissions import require
        from invoice_tui.screens.editor import EditorScreen
        from invoice_tui.widgets.error_text import show_error

        try:  # R5/R17: refused with the reason before the form, not after it is filled in
            require(self.app.ctx, "create_draft")  # type: ignore[attr-defined]
        except InvoiceTuiError as error:
            show_error(self, error)
            return
        self.app.push_screen(EditorScreen(None))

    def action_export(self) -> None:
        from invoice_tui.modals.export import ExportDialog

        self.app.push_screen(ExportDialog(filters=self.filters, sort=self.sort, columns=list(self.columns),
                                          search=self.search, view_name=views.shown_name(self.view)))

    # ---- for the palette ---------------------------------------------------------------------
    def palette_commands(self, discover: bool = False) -> list[tuple[str, object, str]]:
        """(name, callback, help) of the index's commands, all named "Invoices: …", in the reader's
        language; with ``discover``, without "Sort by …" and "Show view …" (found by typing)."""
        from invoice_tui.modals.columns import next_sort

        cmds: list[tuple[str, object, str]] = [
            (_("Invoices: New invoice"), self.action_new_invoice, "n"),
            (_("Invoices: Quick search"), self.action_search, "/"),
            (_("Invoices: Filters"), self.action_filters, _("f — the advanced-filter sidebar")),
            (_("Invoices: Clear filters"), self.action_clear_filters, "c"),
            (_("Invoices: Edit columns"), self.action_columns, "e"),
            (_("Invoices: Sort…"), self.action_sort, "s"),
            (_("Invoices: Reverse sort order"), lambda: self.set_sort(next_sort(self.sort, "~reverse")), ""),
            (_("Invoices: Save view"), self.action_save_view, "ctrl+s"),
            (_("Invoices: Save view as…"), self.action_save_view_as, "S"),
            (_("Invoices: Rename view"), self.action_rename_view, ""),
            (_("Invoices: Share view with the team"), lambda: self.action_share_view(True), ""),
            (_("Invoices: Make view private"), lambda: self.action_share_view(False), ""),
            (_("Invoices: Delete view"), self.action_delete_view, ""),
            (_("Invoices: Export"), self.action_export, "x"),
            (_("Invoices: Reload"), self.action_reload, "r"),
        ]
        if discover:
            return cmds
        tabs = self.query_one(ViewTabs)
        for tid, view in tabs.views.items():
            cmds.append((_("Invoices: Show view {name}").format(name=views.shown_name(view)), lambda t=tid: setattr(tabs, "active", t), ""))
        for prop in catalogue.PROPERTIES:
            if prop.sortable:
                cmds.append((_("Invoices: Sort by {column}").format(column=prop.label()), lambda p=prop.id: self.set_sort(p), ""))
        return cmds
