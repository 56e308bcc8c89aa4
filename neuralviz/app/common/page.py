"""Page: what the window asks of a tab, and all it asks (DESIGN.md §5/§7: one protocol for every page).

Every tab (the studio, the architecture editor, the feature maps, the comparison, and the pages to come) is a
QWidget that also derives from Page and is built as Cls(window). The window calls these methods and
nothing else on a page; a page that has nothing to do for one keeps the default here. The methods marked
"required" have no default: a page says what it does there (tests/test_page_protocol.py checks both ways).

The window hands a page the studio's reports as they come:
    on_configured(info)  a new configuration (network, data) trains in the studio (every page, shown or not)
    on_snapshot(snap)    a new frame; only to the visible page (and at activate()), so hidden pages cost nothing
"""

from __future__ import annotations

from collections.abc import Callable

from .snapshot import RunInfo, Snapshot
from .theme import Theme


class Page:
    """Mixin for a tab: `class EditorPage(QWidget, Page)`. A plain class, not an ABC or typing.Protocol:
    QWidget's metaclass (sip's) cannot be combined with ABCMeta, and the mixin gives the defaults."""

    TITLE = ""  # the tab's title

    def title(self) -> str:
        return self.TITLE

    # ------------------------------------------------------------------ the studio's reports
    def on_configured(self, info: RunInfo) -> None:
        """Required. The studio now trains this configuration (a new object whenever it changes)."""
        raise NotImplementedError

    def on_snapshot(self, snap: Snapshot) -> None:
        """A new frame of the studio's training (only while this page is the visible tab)."""

    # ------------------------------------------------------------------ the tab
    def activate(self) -> None:
        """This page became the visible tab (after the window has handed it the latest info and frame)."""

    def deactivate(self) -> None:
        """Another tab is shown now: stop work nobody sees (a race pauses)."""

    def wants_preset(self, name: str) -> bool:
        """Whether opening lecture preset `name` should show this page."""
        return False

    def set_theme(self, theme: Theme) -> None:
        """Required. Large fonts / high contrast were switched: restyle (the window has set the fonts)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ play / step / reset keys
    def trains_itself(self) -> bool:
        """Whether the Play, Step and Reset keys act on this page (it trains on its own, in its WorkerHost
        `self.host`, as the studio and the comparison race do); otherwise the window sends them to the studio."""
        return False

    def toggle_play(self) -> None:
        self._training_host().toggle_play()

    def step(self) -> None:
        """One training step (while paused)."""
        self._training_host().step()

    def reset(self) -> None:
        """Required where trains_itself(): fresh weights, counters at zero."""
        raise NotImplementedError(f"{type(self).__name__} does not train on its own")

    def _training_host(self):
        if not self.trains_itself():
            raise NotImplementedError(f"{type(self).__name__} does not train on its own")
        return self.host

    # ------------------------------------------------------------------ scripted runs (`neuralviz gui --screenshot`)
    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """Required. Train `steps` steps at full speed, wait until this page shows the result, then done()."""
        raise NotImplementedError

    def shown_step(self) -> int:
        """Required. The training step whose state this page shows (printed with a screenshot)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ lifetime
    def shutdown(self) -> None:
        """The window closes: stop this page's worker thread, if it has one (idempotent)."""


REQUIRED = ("on_configured", "set_theme", "run_headless", "shown_step")
TRAINING_KEYS = ("reset",)  # required where trains_itself() is True (play and step drive `self.host`)
