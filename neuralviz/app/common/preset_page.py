"""PresetPage: a tab that trains a preset picked in its own combo box (the Races and Sequences tabs), not the
studio's network.

The page builds `self.picker` with preset_picker(), starts with `self.loaded = None` and defines _load_chosen()
(load the picked preset and set `self.loaded`). Nothing loads until the tab is first shown (activate): a window
with every tab opens as fast as one with the studio alone.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox

from .page import Page


def preset_picker(choices: list[tuple[str, str]], min_chars: int) -> QComboBox:
    """A combo box of (name, title) presets shown as "title  (name)", the name as the item's data. A title can be
    long: the box's width comes from the page (at least `min_chars` characters), not from its longest item."""
    picker = QComboBox()
    picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    picker.setMinimumContentsLength(min_chars)
    for name, title in choices:
        picker.addItem(f"{title}  ({name})", name)
    return picker


class PresetPage(Page):
    """Page mixin: `class RacePage(QWidget, PresetPage)`; the page's `picker`, `loaded` and _load_chosen() as
    above."""

    picker: QComboBox
    loaded: str | None

    def _load_chosen(self) -> None:
        """Required. Load the picked preset (or say that there is none to pick) and set `self.loaded`."""
        raise NotImplementedError

    def _ensure_loaded(self) -> None:
        if self.loaded is None:
            self._load_chosen()

    def _open_preset(self, name: str) -> bool:
        """Pick and load preset `name` (unless it is the one loaded already); False if the picker does not offer
        it."""
        index = self.picker.findData(name)
        if index < 0:
            return False
        if index != self.picker.currentIndex() or self.loaded != name:
            self.picker.setCurrentIndex(index)
            self._load_chosen()
        return True

    def activate(self) -> None:
        """Shown: load the picked preset the first time."""
        self._ensure_loaded()
