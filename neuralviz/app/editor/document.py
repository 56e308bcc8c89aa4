"""EditorDocument: the drawing (a GraphModel), its undo history and its shape inference, in one place.

Every change goes through edit(): the edit runs on the model, shape inference runs again, and the views
are told (changed). An edit the model refuses (a cycle, a bad name) leaves everything as it was and is
reported through `refused` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QUndoStack

from ...layers import SpecError
from .commands import ModelEdit
from .inference import Inference, ShapeChecker
from .layout import auto_layout
from .model import EditRefused, GraphModel


class EditorDocument(QObject):
    changed = pyqtSignal()  # model and inference are new
    refused = pyqtSignal(str)  # an edit was refused: why

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.model = GraphModel()
        self.checker = ShapeChecker()
        self.inference: Inference = self.checker.infer(self.model)
        self.undo_stack = QUndoStack(self)
        self.touched = False  # the user has edited (the page stops mirroring the studio)

    # ------------------------------------------------------------------ editing
    def edit(self, text: str, change: Callable[[GraphModel], object], merge_key: str = "") -> bool:
        """Runs change(model) as one undoable step; False (and a `refused` report) if it was refused."""
        before = self.model.state()
        try:
            change(self.model)
        except (EditRefused, SpecError, ValueError) as err:
            self.model.restore(before)
            self.refused.emit(str(err))
            return False
        after = self.model.state()
        if after == before:
            return False
        self.touched = True
        self.undo_stack.push(ModelEdit(text, before, after, self._set_state, merge_key))
        return True

    def replace(self, model: GraphModel, text: str, keep_history: bool = True) -> None:
        """Puts a whole new drawing in place (opening a file, a template, a preset); undoable unless
        keep_history is False (the studio's network shown before the user edits anything)."""
        if not model.has_layout():
            model.positions.update(auto_layout(model))  # rough sizes; the page measures first
        if keep_history:
            self.edit(text, lambda m: m.restore(model.state()))
        else:
            self.undo_stack.clear()
            self._set_state(model.state())

    def _set_state(self, state: dict) -> None:
        self.model.restore(state)
        self.refresh()

    def refresh(self) -> None:
        self.inference = self.checker.infer(self.model)
        self.changed.emit()
