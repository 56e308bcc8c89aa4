"""The window's further tabs, beside the studio: which pages there are, and building them.

Each page is a QWidget and a Page (common/page.py), in its own package, built as Cls(window). A page that
is not installed is simply absent; one that fails to build becomes a BrokenPage that says why, so a bug in
one page never takes the studio down.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from PyQt6.QtWidgets import QLabel

from .common.page import Page
from .common.snapshot import RunInfo
from .common.theme import Theme

# (module, class) in tab order
PAGES = [
    ("neuralviz.app.editor.page", "EditorPage"),
    ("neuralviz.app.featuremaps.page", "FeatureMapPage"),
    ("neuralviz.app.comparison.page", "ComparisonPage"),
    ("neuralviz.app.race.page", "RacePage"),
    ("neuralviz.app.sequence.page", "SequencePage"),
    ("neuralviz.app.generative.page", "GenerativePage"),
    ("neuralviz.app.robustness.page", "RobustnessPage"),
    ("neuralviz.app.segmentation.page", "SegmentationPage"),
]


class BrokenPage(QLabel, Page):
    """A page that could not be built: its tab shows the error, and it does nothing else."""

    def __init__(self, title: str, err: Exception):
        super().__init__(f"This page could not be opened:\n{type(err).__name__}: {err}")
        self.setWordWrap(True)
        self.TITLE = title

    def on_configured(self, info: RunInfo) -> None:
        pass

    def set_theme(self, theme: Theme) -> None:
        pass

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        done()

    def shown_step(self) -> int:
        return 0


def page_classes(entries: list[tuple[str, str]] | None = None) -> list[type]:
    """The page classes of this build, in tab order (a page whose package is not installed is left out).
    entries: (module, class) pairs, the window's PAGES by default (a PageGroup passes its own)."""
    classes = []
    for module, name in PAGES if entries is None else entries:
        try:
            classes.append(getattr(importlib.import_module(module), name))
        except ModuleNotFoundError as err:
            if err.name and module.startswith(err.name):
                continue  # that page is not part of this build
            raise
    return classes


def load_pages(window, entries: list[tuple[str, str]] | None = None) -> list[Page]:
    pages: list[Page] = []
    for cls in page_classes(entries):
        try:
            pages.append(cls(window))
        except Exception as err:  # noqa: BLE001 - a broken page must not take the studio down with it
            pages.append(BrokenPage(cls.TITLE, err))
    return pages
