"""The TUI in the reader's language (issue 25): every binding's description (footer, `?` help),
the key names, and Textual's own words the app shows (the palette's placeholder and system
commands), through ``invoice_tui.i18n``.

Bindings are declared in English (``N_()``) on the classes; :func:`translate_bindings` rewrites
every class's merged bindings and every live node's own copy in the language in use, so a change of
language applies to the open screens and to those made later. What a screen composes (labels,
headers) is translated by the screen itself with ``_()``; :func:`apply_language` recomposes the
open screens and has each fill itself again (a recompose alone leaves a screen that fills its widgets
once mounted — the index, an invoice's page, Settings — showing "Loading…": see :func:`refresh_screen`).
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from invoice_tui.i18n import N_, _
from invoice_tui.widgets.invoice_worker import ServiceCalls

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

# Textual's key names as the footer and help show them, and the words Textual itself shows; marked
# here so that the catalog holds them (Textual's English is the source).
KEY_NAMES = {
    "esc": N_("esc"), "space": N_("space"), "tab": N_("tab"), "pgdn": N_("pgdn"), "pgup": N_("pgup"),
    "del": N_("del"), "home": N_("home"), "end": N_("end"), "insert": N_("insert"), "enter": N_("enter"),
    "shift": N_("shift"), "super": N_("super"), "comma": N_("comma"),
}
PALETTE_PLACEHOLDER = N_("Search for commands…")
PALETTE_BINDING = N_("palette")
PALETTE_TOOLTIP = N_("Open the command palette")
TEXTUAL_WORDS = (
    N_("Theme"), N_("Change the current theme"), N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"), N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"), N_("Maximize"),
    N_("Maximize the focused widget"), N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"),
)

_SOURCE: dict[str, str] = {}  # a shown (translated) description → its English source


def _source(text: str) -> str:
    return _SOURCE.get(text, text)


def _shown(text: str) -> str:
    if not text:
        return text
    source = _source(text)
    translated = _(source)
    _SOURCE[translated] = source
    return translated


def _translated(binding: Binding) -> Binding:
    return replace(binding, description=_shown(binding.description), tooltip=_shown(binding.tooltip))


def _translate_map(bindings: BindingsMap) -> None:
    for key, key_bindings in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [_translated(b) for b in key_bindings]


def _classes(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _classes(sub)


def translate_bindings(app: App | None) -> None:
    """Every binding's description and tooltip in the language in use: the classes' merged
    bindings (nodes made from now on) and every live node's (the app, each screen of the stack
    and what it holds; none without an app)."""
    from invoice_tui.i18n import SOURCE_LANGUAGE, language

    if language() == SOURCE_LANGUAGE and not _SOURCE:
        return  # nothing was ever translated: the English of the classes is what is shown
    for cls in {DOMNode, *_classes(DOMNode)}:
        merged = cls.__dict__.get("_merged_bindings")
        if merged is not None:
            _translate_map(merged)
    if app is None:
        return
    nodes: list[DOMNode] = [app]
    for screen in app.screen_stack:
        nodes.extend(screen.walk_children(with_self=True))
    for node in nodes:
        _translate_map(node._bindings)
    app.refresh_bindings()


def key_display(text: str) -> str:
    """A key as Textual shows it ("esc", "^p", "shift+tab"), each name in the language in use."""
    def name(part: str) -> str:
        ctrl = "^" if part.startswith("^") and part[1:] in KEY_NAMES else ""  # "^pgup"
        part = part[len(ctrl):]
        return ctrl + (_(KEY_NAMES[part]) if part in KEY_NAMES else part)

    return "+".join(name(part) for part in text.split("+"))


async def apply_language(app: App, locale_name: str | None) -> None:
    """Speak ``locale_name``'s language from now on: bindings at once, and every open screen
    recomposed with its words."""
    from invoice_tui.i18n import language, use_language

    before = language()
    use_language(locale_name)
    translate_bindings(app)
    if language() != before:
        for screen in list(app.screen_stack):
            await refresh_screen(screen)
        translate_bindings(app)  # the nodes the screens composed again
        app.refresh(layout=True)


async def refresh_screen(screen: Screen) -> None:
    """``screen``'s words in the language now in use. A screen that knows how to say itself again
    defines ``language_changed()`` (sync or async); any other is composed again, then its own
    ``on_mount`` runs again: the screens of invoice-tui fill their widgets there (a load in a
    worker, the rows of a table), which a recompose alone would leave empty."""
    focused = screen.focused.id if screen.focused is not None else None
    hook = getattr(screen, "language_changed", None)
    if hook is not None:
        result = hook()
    else:
        await (screen.compose_again() if isinstance(screen, ServiceCalls) else screen.recompose())
        refill = getattr(type(screen), "on_mount", None)
        result = refill(screen) if refill is not None else None
    if inspect.isawaitable(result):
        await result
    screen.call_after_refresh(_refocus, screen, focused)


def _refocus(screen: Screen, widget_id: str | None) -> None:
    """The focus back on the widget of the same id (composed again), else where the screen puts it
    when shown."""
    if screen.focused is not None and screen.focused.is_attached:
        return
    if widget_id:
        found = screen.query(f"#{widget_id}")
        if found and found.first().focusable:
            screen.set_focus(found.first())
            return
    if screen.AUTO_FOCUS:
        for widget in screen.query(screen.AUTO_FOCUS):
            if widget.focusable:
                screen.set_focus(widget)
                return
