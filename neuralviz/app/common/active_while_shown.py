"""ActiveWhileShown: a page whose activate() runs whenever it is shown and deactivate() whenever it is hidden.

The window calls activate/deactivate on a tab switch; these events also cover a page shown on its own (as the
tests build one) and a window minimised or closed: a hidden race would only take the CPU from what is seen.
"""

from __future__ import annotations


class ActiveWhileShown:
    """Mixin listed before QWidget, so that its showEvent/hideEvent are the ones Qt calls:
    `class RacePage(ActiveWhileShown, QWidget, PresetPage)`."""

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.activate()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self.deactivate()
