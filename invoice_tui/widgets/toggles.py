"""The app's checkbox: Textual's ``Checkbox`` whose box says its state in a glyph — "✓" when on,
empty when off — not by colour alone (issue 24: a toggle such as "Send a receipt" reads the
same under ``NO_COLOR`` or on a monochrome terminal)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox as _TextualCheckbox

ON, OFF = "✓", " "


class Checkbox(_TextualCheckbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = ON if self.value else OFF  # read by Textual's ToggleButton._button
        return super()._button
