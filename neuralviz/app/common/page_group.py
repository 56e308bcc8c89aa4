"""PageGroup: one tab of the window that holds several pages as inner tabs (Generative: auto-encoder, GANs,
textures), so the window's tab bar stays short on a projector while every page keeps its own package.

The group is a Page to the window and passes the protocol on: the studio's reports and the theme to every
inner page, the keys, headless runs and the shown step to the inner page that is visible. Inner pages are
built as Cls(window) like any tab; one that fails to build becomes a BrokenPage that says why, and one whose
package is not installed is left out.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from .page import Page
from .snapshot import RunInfo, Snapshot
from .theme import Theme


class PageGroup(QWidget, Page):
    """Subclasses set TITLE and PAGES, a list of (module, class) in inner-tab order."""

    PAGES: list[tuple[str, str]] = []

    def __init__(self, window):
        super().__init__()
        from ..pages import BrokenPage, load_pages  # the registry imports this module's subclasses: import late

        self.window = window
        self.inner = QTabWidget()
        self.pages: list[Page] = load_pages(window, self.PAGES) or [
            BrokenPage(self.TITLE, RuntimeError("none of this tab's pages is installed"))
        ]
        for page in self.pages:
            self.inner.addTab(page, page.title())
        self._shown = self.current()
        self._active = False
        self.inner.currentChanged.connect(self._inner_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.inner)

    def current(self) -> Page:
        return self.inner.currentWidget()

    def _inner_changed(self, _index: int) -> None:
        """Only the visible inner page works while the group is the window's tab: the one left pauses."""
        if self._active:
            self._shown.deactivate()
            self.current().activate()
        self._shown = self.current()

    # ------------------------------------------------------------------ the studio's reports
    def on_configured(self, info: RunInfo) -> None:
        for page in self.pages:
            page.on_configured(info)

    def on_snapshot(self, snap: Snapshot) -> None:
        self.current().on_snapshot(snap)

    def activate(self) -> None:
        self._active = True
        self.current().activate()

    def deactivate(self) -> None:
        self._active = False
        self.current().deactivate()

    def wants_preset(self, name: str) -> bool:
        """An inner page that wants the preset is brought to the front, and then the group is shown."""
        for page in self.pages:
            if page.wants_preset(name):
                self.inner.setCurrentWidget(page)
                return True
        return False

    def set_theme(self, theme: Theme) -> None:
        for page in self.pages:
            page.set_theme(theme)

    # ------------------------------------------------------------------ keys: the visible inner page's
    def trains_itself(self) -> bool:
        return self.current().trains_itself()

    def toggle_play(self) -> None:
        self.current().toggle_play()

    def step(self) -> None:
        self.current().step()

    def reset(self) -> None:
        self.current().reset()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        self.current().run_headless(steps, done)

    def shown_step(self) -> int:
        return self.current().shown_step()

    def shutdown(self) -> None:
        for page in self.pages:
            page.shutdown()
