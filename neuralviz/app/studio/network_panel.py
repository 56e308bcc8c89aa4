"""NetworkPanel: the preset picker, the hidden-layer widths of an MLP, and the live network diagram."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ... import presets
from ..common.elided_label import ElidedLabel
from ..common.panels import title_label
from ..common.spec_edit import format_hidden, parse_hidden
from ..common.theme import Theme
from ..settings import StudioSettings
from .network_view import NetworkView


class NetworkPanel(QWidget):
    presetChosen = pyqtSignal(str)
    hiddenChanged = pyqtSignal(list)
    openSpecClicked = pyqtSignal()
    invalid = pyqtSignal(str)

    def __init__(self, theme: Theme, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(6)
        row = QHBoxLayout()
        row.addWidget(title_label("NETWORK"))
        row.addSpacing(12)
        self.preset = QComboBox()
        for name in presets.names():
            self.preset.addItem(name)
            self.preset.setItemData(
                self.preset.count() - 1, presets.load(name).get("title", name), Qt.ItemDataRole.ToolTipRole
            )
        self.preset.setToolTip("Preset: a lecture's network, dataset and training settings together")
        self.preset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset.setMinimumContentsLength(6)
        self.preset.activated.connect(lambda _: self.presetChosen.emit(self.preset.currentText()))
        row.addWidget(self.preset)
        self.open_button = QPushButton("Open spec…")
        self.open_button.setToolTip("Load a network spec (JSON) to train on the current data")
        self.open_button.clicked.connect(self.openSpecClicked)
        row.addWidget(self.open_button)
        row.addStretch(1)
        lay.addLayout(row)
        # second row: what is loaded, and the hidden widths of an MLP (two rows keep the panel narrow
        # enough for large fonts)
        row2 = QHBoxLayout()
        self.title = ElidedLabel("")  # one line: wrapped lines would take the diagram's height
        self.title.setProperty("role", "hint")
        row2.addWidget(self.title, 1)
        # what the lines show: the weights (off) or the last step's change of them (on)
        self.edges = QCheckBox("edges: Δw")
        self.edges.setToolTip(
            "Lines show the weights w, or (ticked) how the last training step changed them, Δw: for plain "
            "SGD that is −learning rate × the gradient backpropagation computed (the chain rule at work)"
        )
        row2.addWidget(self.edges)
        self.hidden_label = QLabel("Hidden")
        self.hidden_label.setProperty("role", "hint")
        row2.addWidget(self.hidden_label)
        self.hidden = QLineEdit()
        self.hidden.setPlaceholderText("e.g. 8, 8")
        self.hidden.setToolTip("Widths of the hidden layers, separated by commas (rebuilds the network)")
        self.hidden.setMaximumWidth(240)
        self.hidden.editingFinished.connect(self._on_hidden)
        row2.addWidget(self.hidden)
        lay.addLayout(row2)
        self.view = NetworkView(theme)
        self.edges.toggled.connect(lambda on: self.view.set_edge_mode("delta" if on else "weights"))
        lay.addWidget(self.view, 1)
        self._shown_hidden = ""

    def _on_hidden(self) -> None:
        text = self.hidden.text()
        if text.strip() == self._shown_hidden:
            return
        try:
            sizes = parse_hidden(text)
        except ValueError as err:
            self.invalid.emit(str(err))
            self.hidden.setText(self._shown_hidden)
            return
        self._shown_hidden = format_hidden(sizes)
        self.hiddenChanged.emit(sizes)

    def show_settings(self, s: StudioSettings, description: str) -> None:
        self.preset.blockSignals(True)
        if s.preset and self.preset.findText(s.preset) >= 0:
            self.preset.setCurrentText(s.preset)
        self.preset.blockSignals(False)
        is_mlp = s.hidden is not None
        self.hidden.setEnabled(is_mlp)
        self.hidden_label.setEnabled(is_mlp)
        self._shown_hidden = format_hidden(s.hidden) if is_mlp else ""
        self.hidden.setText(self._shown_hidden)
        wide = max(self._shown_hidden, "16, 16", key=len)
        self.hidden.setMinimumWidth(self.hidden.fontMetrics().horizontalAdvance(wide) + 20)
        self.title.setText(description)
