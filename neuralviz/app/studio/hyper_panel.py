"""HyperPanel: optimizer, learning rate, batch size, regularisation, activation, dropout, noise, seed.

It edits values only; the window decides what each change means (a live change keeps the weights, a
structural one rebuilds the network and says so). Emits `changed` with the fields that changed.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QDoubleSpinBox, QGridLayout, QLabel, QSpinBox, QWidget

from ... import optim
from ..common.spec_edit import CHOOSABLE_ACTIVATIONS
from ..settings import StudioSettings

LEARNING_RATES = ("0.00001", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10")
REG_RATES = ("0", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10")
REGULARIZATION_LABELS = {"none": "None", "l1": "L1", "l2": "L2"}
MIN_COLUMNS = 3  # the narrowest arrangement: three rows of three fields


class HyperPanel(QWidget):
    changed = pyqtSignal(dict)  # {field: new value}
    invalid = pyqtSignal(str)  # a value that could not be read (the field keeps its old value)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.optimizer = QComboBox()
        self.optimizer.addItems(optim.names())
        self.optimizer.setToolTip("Update rule (neuralviz.optim); changing it keeps the weights")
        self.lr = self._number_combo(LEARNING_RATES, "Learning rate (applied immediately)")
        self.batch = QSpinBox()
        self.batch.setRange(1, 4096)
        self.batch.setToolTip("Examples per training step")
        self.regularization = QComboBox()
        for key, label in REGULARIZATION_LABELS.items():
            self.regularization.addItem(label, key)
        self.reg_rate = self._number_combo(
            REG_RATES, "Regularisation rate (L1: λ·sign(w), L2: λ·w added to every gradient)"
        )
        self.activation = QComboBox()
        self.activation.addItems(CHOOSABLE_ACTIVATIONS)
        self.activation.setToolTip("Activation of the hidden layers (rebuilds the network)")
        self.dropout = self._spin(
            0.0, 0.9, 0.1, "Dropout after each hidden layer, training only (rebuilds the network)"
        )
        self.noise = self._spin(
            0.0,
            5.0,
            0.1,
            "Standard deviation of Gaussian noise added to the inputs while training (rebuilds the network)",
        )
        self.seed = QSpinBox()
        self.seed.setRange(0, 999_999)
        self.seed.setToolTip("Seed of the weights, the data and the minibatch order (rebuilds)")

        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(8, 2, 8, 4)
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(2)
        self.fields = []
        for title, widget in (
            ("Optimizer", self.optimizer),
            ("Learning rate", self.lr),
            ("Batch size", self.batch),
            ("Regularisation", self.regularization),
            ("Regularisation rate", self.reg_rate),
            ("Activation", self.activation),
            ("Dropout", self.dropout),
            ("Input noise", self.noise),
            ("Seed", self.seed),
        ):
            label = QLabel(title)
            label.setProperty("role", "hint")
            self.fields.append((label, widget))
            if isinstance(widget, QComboBox):
                # size by a few characters, not by the longest entry, so the row fits large fonts
                widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                widget.setMinimumContentsLength(6)
        self.columns = 0
        self.min_columns = MIN_COLUMNS
        self.set_columns(len(self.fields))
        # the panel may be narrower than one row of all fields: it then wraps them (resizeEvent), so
        # the window can shrink to a projector's 1024 pixels, large fonts included
        self.setMinimumWidth(self.width_for(self.min_columns))

        self.optimizer.activated.connect(lambda _: self.changed.emit({"optimizer": self.optimizer.currentText()}))
        self.lr.activated.connect(lambda _: self._read_number("lr", self.lr, "learning rate"))
        self.lr.lineEdit().editingFinished.connect(lambda: self._read_number("lr", self.lr, "learning rate"))
        self.batch.editingFinished.connect(lambda: self._emit_if_changed("batch_size", self.batch.value()))
        self.regularization.activated.connect(
            lambda _: self.changed.emit({"regularization": self.regularization.currentData()})
        )
        self.reg_rate.activated.connect(lambda _: self._read_number("reg_rate", self.reg_rate, "regularisation rate"))
        self.reg_rate.lineEdit().editingFinished.connect(
            lambda: self._read_number("reg_rate", self.reg_rate, "regularisation rate")
        )
        self.activation.activated.connect(lambda _: self.changed.emit({"activation": self.activation.currentText()}))
        self.dropout.editingFinished.connect(lambda: self._emit_if_changed("dropout", self.dropout.value()))
        self.noise.editingFinished.connect(lambda: self._emit_if_changed("input_noise", self.noise.value()))
        self.seed.editingFinished.connect(lambda: self._emit_if_changed("seed", self.seed.value()))
        self._shown: dict = {}

    def set_columns(self, columns: int) -> None:
        """Lay the fields out in rows of `columns` (resizeEvent picks the most that fit the width)."""
        columns = max(1, min(int(columns), len(self.fields)))
        if columns == self.columns:
            return
        self.columns = columns
        for label, widget in self.fields:
            self.grid.removeWidget(label)
            self.grid.removeWidget(widget)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        for i, (label, widget) in enumerate(self.fields):
            row, col = divmod(i, columns)
            self.grid.addWidget(label, 2 * row, col)
            self.grid.addWidget(widget, 2 * row + 1, col)
        for c in range(columns):
            self.grid.setColumnStretch(c, 1)

    def width_for(self, columns: int) -> int:
        """Least width that shows the fields in rows of `columns` (each column as wide as its widest field)."""
        widths = [0] * columns
        for i, (label, widget) in enumerate(self.fields):
            need = max(label.minimumSizeHint().width(), widget.minimumSizeHint().width())
            widths[i % columns] = max(widths[i % columns], need)
        m = self.grid.contentsMargins()
        return sum(widths) + self.grid.horizontalSpacing() * (columns - 1) + m.left() + m.right()

    def fit_columns(self, width: int) -> None:
        """The most columns whose fields fit `width` (fewer rows leave more height to the pictures)."""
        n = len(self.fields)
        for columns in range(n, self.min_columns - 1, -1):
            if self.width_for(columns) <= width:
                break
        rows = -(-n // columns)
        self.set_columns(-(-n // rows))  # rows filled evenly (5 + 4, not 8 + 1)

    def set_min_columns(self, columns: int) -> None:
        """The fewest columns the panel may wrap to (1 in a narrow side column, 3 in the top row)."""
        self.min_columns = max(1, int(columns))
        self.setMinimumWidth(self.width_for(self.min_columns))
        self.fit_columns(max(self.width(), self.minimumWidth()))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.setMinimumWidth(self.width_for(self.min_columns))
            self.fit_columns(self.width())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_columns(event.size().width())

    # ------------------------------------------------------------------ widgets
    def _number_combo(self, values, tip: str) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.addItems(values)
        box.setToolTip(tip + "; pick a value or type one")
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        return box

    def _spin(self, lo: float, hi: float, step: float, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setSingleStep(step)
        box.setDecimals(2)
        box.setToolTip(tip)
        return box

    def _read_number(self, key: str, box: QComboBox, what: str) -> None:
        text = box.currentText().strip()
        try:
            value = float(text)
            if not value >= 0 or value == float("inf"):
                raise ValueError
        except ValueError:
            self.invalid.emit(f"{what}: {text!r} is not a number >= 0")
            box.setEditText(_fmt(self._shown.get(key, 0.0)))
            return
        self._emit_if_changed(key, value)

    def _emit_if_changed(self, key: str, value) -> None:
        if self._shown.get(key) != value:
            self._shown[key] = value
            self.changed.emit({key: value})

    # ------------------------------------------------------------------ showing settings
    def show_settings(self, s: StudioSettings, is_mlp: bool) -> None:
        """Show `s` without emitting anything; MLP-only fields are disabled for other networks."""
        widgets = (
            self.optimizer,
            self.lr,
            self.batch,
            self.regularization,
            self.reg_rate,
            self.activation,
            self.dropout,
            self.noise,
            self.seed,
        )
        for w in widgets:
            w.blockSignals(True)
        try:
            if self.optimizer.findText(s.optimizer) < 0:
                self.optimizer.addItem(s.optimizer)
            self.optimizer.setCurrentText(s.optimizer)
            self.lr.setEditText(_fmt(s.lr))
            self.batch.setValue(int(s.batch_size))
            self.regularization.setCurrentIndex(max(0, self.regularization.findData(s.regularization)))
            self.reg_rate.setEditText(_fmt(s.reg_rate))
            act = s.activation or ("mixed" if is_mlp else "—")
            if self.activation.findText(act) < 0:
                self.activation.addItem(act)
            self.activation.setCurrentText(act)
            self.dropout.setValue(float(s.dropout))
            self.noise.setValue(float(s.input_noise))
            self.seed.setValue(int(s.seed))
            for w in (self.activation, self.dropout, self.noise):
                w.setEnabled(is_mlp)
                w.setToolTip(w.toolTip().split("\n")[0] + ("" if is_mlp else "\nOnly for plain MLPs"))
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._shown = {
            "lr": float(s.lr),
            "reg_rate": float(s.reg_rate),
            "batch_size": int(s.batch_size),
            "dropout": float(s.dropout),
            "input_noise": float(s.input_noise),
            "seed": int(s.seed),
        }


def _fmt(value: float) -> str:
    return f"{value:g}"
