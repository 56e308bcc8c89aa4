"""The studio window's further pages (tabs beside the training studio).

Each page is a QWidget class built as Page(window), in its own package; the window
forwards what the training worker reports to every page that wants it:
    page.on_configured(info: RunInfo)   a new configuration (network, data) is running
    page.on_snapshot(snap: Snapshot)    a new frame (weights copy, metrics); only while
                                        the page is the visible tab, so hidden pages cost nothing
A page that is not installed yet is simply absent; one that fails to build shows why.
"""

from __future__ import annotations

import importlib

from PyQt6.QtWidgets import QLabel, QWidget

# (tab title, module, class)
PAGES = [
    ("Architecture", "neuralviz.app.editor.page", "EditorPage"),
    ("Feature maps", "neuralviz.app.featuremaps.page", "FeatureMapPage"),
    ("Plain vs natural", "neuralviz.app.comparison.page", "ComparisonPage"),
]


def load_pages(window) -> list[tuple[str, QWidget]]:
    pages = []
    for title, module, cls in PAGES:
        try:
            page_cls = getattr(importlib.import_module(module), cls)
        except ModuleNotFoundError as err:
            if err.name and module.startswith(err.name):
                continue  # that page is not part of this build
            raise
        try:
            pages.append((title, page_cls(window)))
        except Exception as err:  # a broken page must not take the studio down with it
            label = QLabel(f"This page could not be opened:\n{type(err).__name__}: {err}")
            label.setWordWrap(True)
            pages.append((title, label))
    return pages
