"""The undo history's commands. Every edit of the drawing is one ModelEdit on the page's QUndoStack.

A ModelEdit keeps the model's state before and after the edit (a small dict: the spec with positions),
so undo and redo restore exactly what was there, whatever the edit was: adding, removing, connecting,
a parameter, a rename, a move, a paste, an auto-layout, opening a file. Consecutive moves of the same
nodes by the arrow keys merge into one step.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtGui import QUndoCommand

MOVE_ID = 1


class ModelEdit(QUndoCommand):
    def __init__(self, text: str, before: dict, after: dict, apply: Callable[[dict], None], merge_key: str = ""):
        super().__init__(text)
        self.before, self.after = before, after
        self._apply = apply
        self._merge_key = merge_key

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)

    def id(self) -> int:
        return MOVE_ID if self._merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, ModelEdit) or other._merge_key != self._merge_key:
            return False
        self.after = other.after
        return True
