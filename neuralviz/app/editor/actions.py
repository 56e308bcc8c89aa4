"""EditorActions: the editor's commands as QActions, with their keyboard shortcuts.

The shortcuts live on the editor page only (WidgetWithChildrenShortcut), so they do not collide with the
studio's (Space, S, R, Ctrl+S, Ctrl+O belong to the window); text fields keep their own Ctrl+Z, Ctrl+C,
Delete while they have focus.
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QAction, QKeySequence

_SPECS = [
    # name, text, shortcuts, tip
    ("open", "Open…", ["Ctrl+Shift+O"], "Open a network spec (JSON)"),
    ("save", "Save…", ["Ctrl+Shift+S"], "Save the drawing as a network spec (JSON, with the layout)"),
    ("undo", "Undo", [QKeySequence.StandardKey.Undo], "Undo the last edit"),
    ("redo", "Redo", [QKeySequence.StandardKey.Redo, "Ctrl+Y"], "Redo"),
    ("delete", "Delete", [QKeySequence.StandardKey.Delete, "Backspace"], "Delete the selected layers and wires"),
    ("copy", "Copy", [QKeySequence.StandardKey.Copy], "Copy the selected layers"),
    ("cut", "Cut", [QKeySequence.StandardKey.Cut], "Cut the selected layers"),
    ("paste", "Paste", [QKeySequence.StandardKey.Paste], "Paste layers"),
    ("duplicate", "Duplicate", ["Ctrl+D"], "Copy and paste the selected layers at once"),
    ("select_all", "Select all", [QKeySequence.StandardKey.SelectAll], "Select every layer"),
    ("layout", "Auto-layout", ["Ctrl+L"], "Arrange the layers in columns, left to right"),
    ("fit", "Fit", ["Ctrl+0"], "Show the whole drawing"),
    ("search", "Search layers", ["Ctrl+F"], "Find a layer type to add (Tab on the canvas)"),
    (
        "panels",
        "Canvas only",
        ["Ctrl+Shift+F"],
        "Hide the side panels: the whole width for the drawing (for a projector)",
    ),
    ("export_png", "PNG…", [], "Export the drawing as a PNG picture for slides"),
    ("export_svg", "SVG…", [], "Export the drawing as an SVG (vector) picture for slides"),
    ("train", "Train this network ▶", ["Ctrl+Return"], "Train the drawing in the studio"),
]


class EditorActions(QObject):
    def __init__(self, page):
        super().__init__(page)
        self.all: dict[str, QAction] = {}
        for name, text, keys, tip in _SPECS:
            action = QAction(text, page)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({shown})" if shown else tip)
            page.addAction(action)
            self.all[name] = action
        self.all["panels"].setCheckable(True)

    def __getitem__(self, name: str) -> QAction:
        return self.all[name]
