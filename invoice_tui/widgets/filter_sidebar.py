"""The advanced-filter sidebar (R20): groups of filters; filters in a group are ANDed, groups ORed.

Pick a property, an operator valid for its type and a value, then "+ Add filter" (to the
selected group, marked ▸; click a group's title to select it) or "+ Add filter group" (a new OR
group starting with this filter). Each filter and group has a ✕. Every change is checked
(values and R20's limits: 5 groups, 10 filters per group, 25 in all) and posted at once as
``FilterSidebar.Changed`` with the new ``FilterSet``; a refused change shows why and changes
nothing.

The sidebar's ~30 widgets are composed the first time it is shown (``build``), not with the
index: a hidden sidebar costs nothing per frame or per key (issue 7).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from invoice_tui.domain import catalogue
from invoice_tui.domain.errors import InvoiceTuiError
from invoice_tui.domain.filters import (NO_VALUE, OPERATOR_LABELS, OPERATORS, Filter, FilterGroup, FilterSet,
                                        check_limits, compile_filter)
from invoice_tui.i18n import N_, _
from invoice_tui.widgets.error_text import error_text

DAY_OPERATORS = {"more_than_days_ago", "less_than_days_ago", "more_than_days_from_now", "less_than_days_from_now"}
COMMON_CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK")
DATE_PICKS = ((N_("Today"), "today"), (N_("Yesterday"), "today-1"), (N_("7 days ago"), "today-7"),
              (N_("30 days ago"), "today-30"), (N_("90 days ago"), "today-90"), (N_("In 7 days"), "today+7"),
              (N_("In 30 days"), "today+30"))


class FilterSidebar(Vertical):
    """Edits a ``FilterSet``; posts ``Changed`` after every accepted change."""

    DEFAULT_CSS = """
    FilterSidebar {
        dock: right;
        width: 44;
        max-width: 60%;
        height: 1fr;
        border-left: tall $primary;
        background: $panel;
        padding: 0 1;
    }
    FilterSidebar #filter-title { text-style: bold; width: 1fr; }
    FilterSidebar #filter-groups { height: auto; max-height: 45%; }
    FilterSidebar .group-title { width: 1fr; height: 1; min-width: 0; border: none; background: $panel;
                                 text-style: bold; content-align: left middle; text-align: left; padding: 0; }
    FilterSidebar .group-title.-target { color: $accent; }
    FilterSidebar .or-label { color: $text-muted; height: 1; }
    FilterSidebar .filter-row { height: 1; }
    FilterSidebar .filter-row Label { width: 1fr; }
    FilterSidebar .remove { min-width: 3; width: 3; height: 1; border: none; padding: 0; }
    FilterSidebar #filter-message { color: $text-error; height: auto; }
    FilterSidebar #filter-hint { color: $text-muted; height: auto; }
    FilterSidebar Select { margin: 0; }
    FilterSidebar Input { margin: 0; background: $surface; }
    FilterSidebar #filter-choices { height: auto; max-height: 8; }
    FilterSidebar #filter-buttons { height: auto; }
    FilterSidebar #filter-buttons Button { min-width: 10; margin-right: 1; }
    """

    class Changed(Message):
        def __init__(self, sidebar: "FilterSidebar", filters: FilterSet) -> None:
            super().__init__()
            self.sidebar = sidebar
            self.filters = filters

        @property
        def control(self) -> "FilterSidebar":
            return self.sidebar

    def __init__(self, filters: FilterSet | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.filters = (filters or FilterSet()).copy()
        self.target = max(len(self.filters.groups) - 1, 0)
        self.owners: list[str] = ["me"]
        self.currencies: list[str] = list(COMMON_CURRENCIES)
        self._rebuild_serial = 0
        self.built = False

    # ---- layout ------------------------------------------------------------------------------
    async def build(self) -> None:
        """Compose the editor (once, when the sidebar is first shown)."""
        if self.built:
            return
        self.built = True
        await self.recompose()
        self._show_value_inputs()
        self.rebuild()

    def compose(self) -> ComposeResult:
        if not self.built:
            return
        yield Label(_("Filters · any group may match"), id="filter-title")
        yield VerticalScroll(id="filter-groups")
        yield Static("", id="filter-message")
        yield Select([(p.label(), p.id) for p in catalogue.PROPERTIES], prompt=_("Property"), id="filter-property", compact=True,
                     allow_blank=True)
        yield Select([], prompt=_("Operator"), id="filter-operator", allow_blank=True, compact=True)
        yield SelectionList(id="filter-choices", compact=True)
        yield Select([(_(label), value) for label, value in DATE_PICKS], prompt=_("Pick a date…"),
                     id="filter-date-pick", compact=True)
        yield Input(placeholder=_("Value"), id="filter-value", compact=True)
        yield Input(placeholder=_("To"), id="filter-value2", compact=True)
        yield Static("", id="filter-hint")
        with Horizontal(id="filter-buttons"):
            yield Button(_("+ Add filter"), id="add-filter", variant="primary", compact=True)
            yield Button(_("+ Add filter group"), id="add-group", compact=True)
        with Horizontal(id="filter-buttons-2"):
            yield Button(_("Clear all"), id="clear-filters", compact=True)

    def on_mount(self) -> None:
        if self.built:
            self._show_value_inputs()
            self.rebuild()

    def set_filters(self, filters: FilterSet) -> None:
        """Show ``filters`` (e.g. after switching views) without posting Changed."""
        self.filters = filters.copy()
        self.target = max(len(self.filters.groups) - 1, 0)
        self.rebuild()

    def set_choices(self, owners: list[str], currencies: list[str]) -> None:
        self.owners = ["me", *[o for o in owners if o != "me"]]
        self.currencies = sorted(set(currencies) | set(COMMON_CURRENCIES))
        if self.built:
            self._show_value_inputs()

    def rebuild(self) -> None:
        if not self.built:
            return  # shown from ``self.filters`` when built
        box = self.query_one("#filter-groups", VerticalScroll)
        box.remove_children()
        self._rebuild_serial += 1
        s = self._rebuild_serial
        widgets = []
        groups = self.filters.groups
        if not groups or not any(g.filters for g in groups):
            widgets.append(Label(_("No filters: every invoice is shown."), classes="or-label"))
        for gi, group in enumerate(groups):
            if gi:
                widgets.append(Label(_("— or —"), classes="or-label"))
            title = ("▸ " if gi == self.target else "") + _("Group {n} (all of these)").format(n=gi + 1)
            head = Horizontal(
                Button(title, id=f"grp-{s}-{gi}", classes="group-title" + (" -target" if gi == self.target else ""),
                       compact=True),
                Button("✕", id=f"rmg-{s}-{gi}", classes="remove", tooltip=_("Remove group {n}").format(n=gi + 1), compact=True),
                classes="filter-row")
            widgets.append(head)
            for fi, f in enumerate(group.filters):
                widgets.append(Horizontal(
                    Label(self._describe(f), markup=False),
                    Button("✕", id=f"rmf-{s}-{gi}-{fi}", classes="remove", tooltip=_("Remove this filter"),
                           compact=True),
                    classes="filter-row"))
        box.mount_all(widgets)

    @staticmethod
    def describe(f: Filter) -> str:
        """A filter as a person says it: "Status is any of Open" (the view summary's words too)."""
        return FilterSidebar._describe(f)

    @staticmethod
    def _describe(f: Filter) -> str:
        try:
            prop = catalogue.get(f.property)
        except InvoiceTuiError:
            return f"{f.property} {f.operator}"
        op = _(OPERATOR_LABELS.get(f.operator, f.operator))
        if f.operator == "between" and len(f.values) >= 2:
            return _("{property} is between {low} and {high}").format(property=prop.label(), low=f.values[0],
                                                                      high=f.values[1])
        if f.operator == "between":
            vals = " ".join(f.values[:2])
        elif prop.type == "choice":
            vals = ", ".join(catalogue.choice_label(prop.id, v) if prop.id != "owner" else v for v in f.values)
        elif f.operator in DAY_OPERATORS:
            op = op.replace("N", f.values[0] if f.values else "N")
            vals = ""
        else:
            vals = ", ".join(f.values)
        return f"{prop.label()} {op} {vals}".strip()

    # ---- the editor --------------------------------------------------------------------------
    @property
    def prop(self) -> catalogue.Property | None:
        value = self.query_one("#filter-property", Select).value
        return catalogue.BY_ID.get(value) if isinstance(value, str) else None

    @on(Select.Changed, "#filter-property")
    def _property_changed(self) -> None:
        prop = self.prop
        ops = OPERATORS[prop.type] if prop else ()
        sel = self.query_one("#filter-operator", Select)
        sel.set_options([(_(OPERATOR_LABELS[o]), o) for o in ops])
        if ops:
            sel.value = ops[0]
        self._show_value_inputs()

    @on(Select.Changed, "#filter-date-pick")
    def _date_picked(self, event: Select.Changed) -> None:
        event.stop()
        if not isinstance(event.value, str):
            return
        v1 = self.query_one("#filter-value", Input)
        v2 = self.query_one("#filter-value2", Input)
        target = v2 if v2.display and v1.value.strip() else v1
        target.value = event.value
        event.select.clear()

    @on(Select.Changed, "#filter-operator")
    def _operator_changed(self) -> None:
        self._show_value_inputs()

    def _choices(self, prop: catalogue.Property) -> list[tuple[str, str]]:
        if prop.id == "owner":
            return [(o, o) for o in self.owners]
        if prop.id == "currency":
            return [(c, c) for c in self.currencies]
        return [(catalogue.choice_label(prop.id, c), c) for c in prop.choices]

    def _show_value_inputs(self) -> None:
        prop = self.prop
        op = self.query_one("#filter-operator", Select).value
        op = op if isinstance(op, str) else None
        v1 = self.query_one("#filter-value", Input)
        v2 = self.query_one("#filter-value2", Input)
        choices = self.query_one("#filter-choices", SelectionList)
        hint = self.query_one("#filter-hint", Static)
        is_choice = bool(prop and prop.type == "choice")
        choices.display = is_choice and op is not None
        if is_choice:
            choices.clear_options()
            choices.add_options(self._choices(prop))
        needs_value = prop is not None and op is not None and op not in NO_VALUE and not is_choice
        v1.display = needs_value
        v2.display = needs_value and op == "between"
        self.query_one("#filter-date-pick", Select).display = (
            needs_value and prop is not None and prop.type == "date" and op not in DAY_OPERATORS)
        text = ""
        if prop and needs_value:
            if op in DAY_OPERATORS:
                v1.placeholder, text = _("Number of days"), _("A whole number of days, e.g. 30.")
            elif prop.type == "date":
                v1.placeholder = _("From") if op == "between" else _("Date")
                text = _("YYYY-MM-DD, today, today-30 or today+7.")
            elif prop.type == "money":
                v1.placeholder = _("From") if op == "between" else _("Amount")
                text = _("In each invoice's own currency, e.g. 1200.50.")
            elif prop.type == "number":
                v1.placeholder = _("From") if op == "between" else _("Number")
            else:
                v1.placeholder = _("Text")
                if op in ("any_of", "none_of"):
                    text = _("Several values: separate them with commas.")
        if prop and prop.id == "owner":
            text = _("“me” is whoever uses the view.")
        hint.update(text)
        hint.display = bool(text)

    def editor_filter(self) -> Filter:
        prop = self.prop
        op = self.query_one("#filter-operator", Select).value
        if prop is None:
            raise _Refused(_("Pick a property first."))
        if not isinstance(op, str):
            raise _Refused(_("Pick an operator."))
        values: list[str] = []
        if prop.type == "choice":
            values = [str(v) for v in self.query_one("#filter-choices", SelectionList).selected]
            if not values:
                raise _Refused(_("Pick at least one value of {property}.").format(property=prop.label()))
        elif op not in NO_VALUE:
            raw = self.query_one("#filter-value", Input).value.strip()
            if op == "between":
                values = [raw, self.query_one("#filter-value2", Input).value.strip()]
            elif prop.type == "text" and op in ("any_of", "none_of", "contains", "not_contains", "starts_with"):
                values = [v.strip() for v in raw.split(",") if v.strip()] if op in ("any_of", "none_of") else [raw]
            else:
                values = [raw]
        f = Filter(property=prop.id, operator=op, values=values)
        from invoice_tui.domain.views import sql_context

        compile_filter(f, sql_context(self.app.ctx))  # type: ignore[attr-defined] - checks the value
        return f

    def _message(self, text: str) -> None:
        self.query_one("#filter-message", Static).update(text)

    @on(Input.Changed, "#filter-value")
    @on(Input.Changed, "#filter-value2")
    @on(Select.Changed, "#filter-property")
    @on(Select.Changed, "#filter-operator")
    @on(SelectionList.SelectedChanged, "#filter-choices")
    def _input_changed(self) -> None:
        """Issue 24: a refusal is about what was typed; once the input changes it no longer holds."""
        self._message("")

    def _apply(self, filters: FilterSet) -> bool:
        try:
            check_limits(filters)
        except InvoiceTuiError as exc:
            self._message(error_text(exc))
            self.app.notify(error_text(exc), title=_("Filters"), severity="warning")
            return False
        self.filters = filters
        self._message("")
        self.rebuild()
        self.post_message(self.Changed(self, filters.copy()))
        return True

    def add_filter(self, new_group: bool = False) -> bool:
        try:
            f = self.editor_filter()
        except InvoiceTuiError as exc:
            self._message(error_text(exc))
            return False
        except _Refused as exc:
            self._message(str(exc))
            return False
        fs = self.filters.copy()
        if new_group or not fs.groups:
            fs.groups.append(FilterGroup(filters=[f]))
            target = len(fs.groups) - 1
        else:
            target = min(self.target, len(fs.groups) - 1)
            fs.groups[target].filters.append(f)
        if self._apply(fs):
            self.target = target
            self.rebuild()
            self.query_one("#filter-value", Input).value = ""
            self.query_one("#filter-value2", Input).value = ""
            return True
        return False

    @on(Button.Pressed, "#add-filter")
    def _add_filter(self, event: Button.Pressed) -> None:
        event.stop()
        self.add_filter()

    @on(Button.Pressed, "#add-group")
    def _add_group(self, event: Button.Pressed) -> None:
        event.stop()
        self.add_filter(new_group=True)

    @on(Input.Submitted, "#filter-value, #filter-value2")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.add_filter()

    @on(Button.Pressed, "#clear-filters")
    def _clear(self, event: Button.Pressed) -> None:
        event.stop()
        self.target = 0
        self._apply(FilterSet())

    @on(Button.Pressed, ".remove, .group-title")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        parts = (event.button.id or "").split("-")
        kind, idx = parts[0], [int(p) for p in parts[2:]]
        fs = self.filters.copy()
        if kind == "grp":
            self.target = idx[0]
            self.rebuild()
            return
        if kind == "rmg":
            del fs.groups[idx[0]]
        elif kind == "rmf":
            del fs.groups[idx[0]].filters[idx[1]]
            if not fs.groups[idx[0]].filters:
                del fs.groups[idx[0]]
        self.target = min(self.target, max(len(fs.groups) - 1, 0))
        self._apply(fs)

    def remove_filter(self, group: int, index: int) -> None:
        fs = self.filters.copy()
        del fs.groups[group].filters[index]
        if not fs.groups[group].filters:
            del fs.groups[group]
        self.target = min(self.target, max(len(fs.groups) - 1, 0))
        self._apply(fs)

    def remove_group(self, group: int) -> None:
        fs = self.filters.copy()
        del fs.groups[group]
        self.target = min(self.target, max(len(fs.groups) - 1, 0))
        self._apply(fs)


class _Refused(Exception):
    @property
    def message(self) -> str:
        return str(self)
