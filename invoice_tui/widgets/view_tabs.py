"""The views of the index as tabs: "All invoices" plus the saved views (R21) the user sees.

``ViewTabs.Switched`` carries the chosen view; a changed, unsaved view shows "*" after its name.
"""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import Tab, Tabs

from invoice_tui.domain.text import safe
from invoice_tui.domain.views import ViewSpec, all_invoices_view, shown_name
from invoice_tui.i18n import _


def tab_id(view: ViewSpec) -> str:
    return "view-all" if view.id is None else f"view-{view.id}"


class ViewTabs(Tabs):
    DEFAULT_CSS = """
    ViewTabs { height: 2; }
    ViewTabs Tab { padding: 0 1; }
    """

    class Switched(Message):
        def __init__(self, tabs: "ViewTabs", view: ViewSpec) -> None:
            super().__init__()
            self.tabs = tabs
            self.view = view

    def __init__(self, *, id: str | None = None) -> None:
        # "All invoices" from the start; the saved views are read after the first rows are shown
        everything = all_invoices_view()
        super().__init__(Tab(Content(self._label(everything)), id=tab_id(everything)), id=id)
        self.views: dict[str, ViewSpec] = {tab_id(everything): everything}
        self._silent = False

    @property
    def ready(self) -> bool:
        """Are the tabs mounted (``set_views`` may add tabs)?"""
        lists = self.query("#tabs-list")
        return self.is_mounted and bool(lists) and lists.first().is_mounted

    def _label(self, view: ViewSpec, modified: bool = False) -> str:
        name = safe(shown_name(view), line=True)
        if not (view.id is None or view.shared):
            name = _("{name} (private)").format(name=name)
        return f"{name}{' *' if modified else ''}"

    async def set_views(self, views: list[ViewSpec], active: int | None = None) -> None:
        """Show "All invoices" and ``views``; activate the view with id ``active``."""
        everything = [all_invoices_view(), *views]
        self.views = {tab_id(v): v for v in everything}
        self._silent = True
        try:
            # "All invoices" stays: the saved views' tabs are replaced after it. (Clearing every tab
            # made the first one added re-activate itself after its mount, which a second call in
            # quick succession could have removed meanwhile: "No Tab with id 'view-all'".)
            self.active = "view-all"
            for tab in list(self.query("#tabs-list > Tab")):
                if tab.id != "view-all":
                    await self.remove_tab(tab)
            for v in views:
                await self.add_tab(Tab(Content(self._label(v)), id=tab_id(v)))
            wanted = "view-all" if active is None else f"view-{active}"
            self.active = wanted if wanted in self.views else "view-all"
        finally:
            self.call_after_refresh(self._unsilence)

    def _unsilence(self) -> None:
        self._silent = False

    def mark_modified(self, modified: bool) -> None:
        tab = self.active_tab
        if tab is None or tab.id not in self.views:
            return
        label = self._label(self.views[tab.id], modified)
        if tab.label_text != label:
            tab.label = Content(label)

    @property
    def active_view(self) -> ViewSpec:
        return self.views.get(self.active or "view-all") or all_invoices_view()

    def _on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tabs is not self or self._silent or event.tab is None:
            return
        view = self.views.get(event.tab.id or "")
        if view is not None:
            self.post_message(self.Switched(self, view))
