"""ParamField: one inspector field, checked as it is typed.

While the text does not parse, the field turns red and the reason shows under it; only a valid value is
committed (on Enter or when focus leaves), so the drawing never holds a value the inspector refused.
Booleans are a check box and commit at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from .style import ERROR, ERROR_TEXT

_INVALID_CSS = f"QLineEdit {{ border: 2px solid {ERROR}; background: #fff5f5; }}"


class ParamField(QWidget):
    committed = pyqtSignal(object)  # the parsed value
    invalid = pyqtSignal(str)  # why the text was refused

    def __init__(
        self,
        parse: Callable[[str], Any],
        format: Callable[[Any], str],
        tooltip: str = "",
        placeholder: str = "",
        checkbox: bool = False,
        parent=None,
    ):
        super().__init__(parent)
        self._parse, self._format = parse, format
        self.value: Any = None
        self.reason = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        if checkbox:
            self.edit = None
            self.box = QCheckBox()
            self.box.setToolTip(tooltip)
            self.box.toggled.connect(lambda on: self.committed.emit(bool(on)))
            lay.addWidget(self.box)
        else:
            self.box = None
            self.edit = QLineEdit()
            self.edit.setToolTip(tooltip)
            self.edit.setPlaceholderText(placeholder)
            self.edit.textEdited.connect(self._check)
            self.edit.editingFinished.connect(self._commit)
            lay.addWidget(self.edit)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(f"color: {ERROR_TEXT};")
        self.reason_label.hide()
        lay.addWidget(self.reason_label)

    @property
    def text(self) -> str:
        return self.edit.text() if self.edit is not None else str(self.box.isChecked())

    def set_value(self, value: Any) -> None:
        """Shows the model's value, unless the user is typing in this field right now."""
        self.value = value
        if self.box is not None:
            self.box.blockSignals(True)
            self.box.setChecked(bool(value))
            self.box.blockSignals(False)
            return
        if self.edit.hasFocus() and self.reason:
            return
        self.edit.setText(self._format(value))
        self._show_reason("")

    def type_text(self, text: str) -> None:
        """As if the user typed `text` and pressed Enter (used by tests and the search box)."""
        self.edit.setText(text)
        self._check(text)
        self._commit()

    def _check(self, text: str) -> bool:
        try:
            self._parse(text)
        except ValueError as err:
            self._show_reason(str(err))
            return False
        self._show_reason("")
        return True

    def _commit(self) -> None:
        text = self.edit.text()
        if not self._check(text):
            self.invalid.emit(self.reason)
            return
        value = self._parse(text)
        if value != self.value:
            self.committed.emit(value)

    def _show_reason(self, reason: str) -> None:
        self.reason = reason
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))
        self.edit.setStyleSheet(_INVALID_CSS if reason else "")
