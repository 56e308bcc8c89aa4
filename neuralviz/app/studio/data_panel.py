"""DataPanel: which dataset, its noise and train/test split, regenerate, test points, input features, and
which class a click on the output map adds."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QStandardItem, QStandardItemModel
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QWidget,
)

from ... import data as nvdata
from ..common.panels import titled_column
from ..settings import StudioSettings

KIND_TITLES = {"planar": "2-D points", "regression": "Regression (1-D)", "image": "Images", "sequence": "Sequences"}
# how the Playground writes its features
FEATURE_LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "x1^2": "x₁²",
    "x2^2": "x₂²",
    "x1*x2": "x₁x₂",
    "sin(x1)": "sin(x₁)",
    "sin(x2)": "sin(x₂)",
}


class DataPanel(QWidget):
    datasetChosen = pyqtSignal(str)
    optionsChanged = pyqtSignal(dict)  # the dataset's options (only those the user set)
    featuresChanged = pyqtSignal(list)
    regenerateClicked = pyqtSignal()
    showTestChanged = pyqtSignal(bool)
    folderClicked = pyqtSignal()  # the user wants to choose the data folder (the page asks and checks it)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._options: dict = {}
        self._dataset = ""
        lay = titled_column(self, "DATA")

        self.dataset = QComboBox()
        self.dataset.setModel(self._dataset_model())
        self.dataset.setToolTip("Built-in datasets, by kind")
        self.dataset.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset.setMinimumContentsLength(8)
        self.dataset.activated.connect(self._on_dataset)
        lay.addWidget(self._hint("Which dataset?"))
        lay.addWidget(self.dataset)
        self.summary = self._hint("")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)

        self.ratio_label = self._hint("")
        self.ratio = self._slider(10, 100, 5)
        self.ratio.valueChanged.connect(self._on_ratio)
        lay.addWidget(self.ratio_label)
        lay.addWidget(self.ratio)
        self.noise_label = self._hint("")
        self.noise = self._slider(0, 50, 5)
        self.noise.valueChanged.connect(self._on_noise)
        lay.addWidget(self.noise_label)
        lay.addWidget(self.noise)

        self.classes_label = self._hint("Classes")
        self.classes = QSpinBox()
        self.classes.setRange(2, 8)
        self.classes.setToolTip("Number of classes (more than two use cross-entropy and a softmax output)")
        self.classes.editingFinished.connect(lambda: self._set_option("classes", self.classes.value()))
        lay.addWidget(self.classes_label)
        lay.addWidget(self.classes)

        self.folder_button = QPushButton("Data folder…")
        self.folder_button.setToolTip("Folder with the IDX files of this dataset")
        self.folder_button.clicked.connect(self.folderClicked)
        lay.addWidget(self.folder_button)

        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip("Draw a new sample of the dataset")
        self.regenerate.clicked.connect(self.regenerateClicked)
        lay.addWidget(self.regenerate)
        self.show_test = QCheckBox("Show test data")
        self.show_test.toggled.connect(self.showTestChanged)
        lay.addWidget(self.show_test)

        self.features_title = self._hint("Input features (what the network sees):")
        self.features_title.setWordWrap(True)
        lay.addWidget(self.features_title)
        self.feature_boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setSpacing(2)
        for i, name in enumerate(nvdata.PLAYGROUND_FEATURES):
            box = QCheckBox(FEATURE_LABELS[name])
            box.setToolTip(f"Feed {FEATURE_LABELS[name]} to the network")
            box.toggled.connect(self._on_features)
            self.feature_boxes[name] = box
            grid.addWidget(box, i // 2, i % 2)
        self.features_widget = QWidget()
        self.features_widget.setLayout(grid)
        lay.addWidget(self.features_widget)

        self.click_title = self._hint("Click on the output adds a point of class:")
        self.click_title.setWordWrap(True)
        self.click_class = QComboBox()
        self.click_class.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.click_class.setMinimumContentsLength(8)
        self.click_hint = self._hint("Shift+click: the other class · Ctrl+click: remove the nearest point")
        self.click_hint.setWordWrap(True)
        for w in (self.click_title, self.click_class, self.click_hint):
            lay.addWidget(w)
        lay.addStretch(1)

    # ------------------------------------------------------------------ widgets
    @staticmethod
    def _hint(text: str) -> QLabel:
        label = QLabel(text)
        label.setProperty("role", "hint")
        label.setWordWrap(True)  # the panel narrows with large fonts instead of clipping
        return label

    @staticmethod
    def _slider(lo: int, hi: int, step: int) -> QSlider:
        s = QSlider(Qt.Orientation.Horizontal)
        s.setRange(lo, hi)
        s.setSingleStep(step)
        s.setPageStep(step)
        s.setTracking(False)  # emit on release, not for every pixel dragged
        return s

    @staticmethod
    def _dataset_model() -> QStandardItemModel:
        model = QStandardItemModel()
        for kind in nvdata.KINDS:
            header = QStandardItem(KIND_TITLES.get(kind, kind))
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            model.appendRow(header)
            for name in nvdata.names(kind):
                item = QStandardItem("    " + name)
                item.setData(name, Qt.ItemDataRole.UserRole)
                item.setToolTip(nvdata.describe(name)["summary"])
                model.appendRow(item)
        return model

    # ------------------------------------------------------------------ user input
    def _on_dataset(self, index: int) -> None:
        name = self.dataset.itemData(index, Qt.ItemDataRole.UserRole)
        if name and name != self._dataset:
            self.datasetChosen.emit(name)

    def _on_ratio(self, percent: int) -> None:
        self.ratio_label.setText(f"Training data: {percent}%  ·  test data: {100 - percent}%")
        self._set_option("test_fraction", round(1.0 - percent / 100.0, 2))

    def _on_noise(self, value: int) -> None:
        self.noise_label.setText(f"Noise: {value / 100:.2f}")
        self._set_option("noise", round(value / 100.0, 2))

    def _set_option(self, key: str, value) -> None:
        if self.signalsBlocked() or self._options.get(key) == value:
            return
        self._options = {**self._options, key: value}
        self.optionsChanged.emit(dict(self._options))

    def _on_features(self) -> None:
        if not self.signalsBlocked():
            self.featuresChanged.emit([n for n, b in self.feature_boxes.items() if b.isChecked()])

    # ------------------------------------------------------------------ showing settings
    def show_settings(self, s: StudioSettings) -> None:
        info = nvdata.describe(s.dataset)
        opts = {k: v["default"] for k, v in info["options"].items()}
        opts.update(s.dataset_options)
        self.blockSignals(True)
        widgets = [self.ratio, self.noise, self.dataset, self.classes, *self.feature_boxes.values()]
        for w in widgets:
            w.blockSignals(True)
        try:
            self._dataset, self._options = s.dataset, dict(s.dataset_options)
            for row in range(self.dataset.count()):
                if self.dataset.itemData(row, Qt.ItemDataRole.UserRole) == s.dataset:
                    self.dataset.setCurrentIndex(row)
            self.summary.setText(info["summary"])
            has_ratio, has_noise = "test_fraction" in opts, "noise" in opts
            for w in (self.ratio, self.ratio_label):
                w.setVisible(has_ratio)
            for w in (self.noise, self.noise_label):
                w.setVisible(has_noise)
            if has_ratio:
                percent = int(round(100 * (1.0 - float(opts["test_fraction"]))))
                self.ratio.setValue(percent)
                self.ratio_label.setText(f"Training data: {percent}%  ·  test data: {100 - percent}%")
            if has_noise:
                self.noise.setValue(int(round(100 * float(opts["noise"]))))
                self.noise_label.setText(f"Noise: {float(opts['noise']):.2f}")
            for w in (self.classes, self.classes_label):
                w.setVisible("classes" in opts)
            if "classes" in opts:
                self.classes.setValue(int(opts["classes"]))
            self.folder_button.setVisible("path" in opts)
            if "path" in opts:
                self.folder_button.setText(f"Data folder: {opts['path'] or '(choose…)'}")
            planar = info["kind"] == "planar"
            self.show_test.setVisible(info["kind"] in ("planar", "regression"))
            for w in (self.features_title, self.features_widget, self.click_title, self.click_class, self.click_hint):
                w.setVisible(planar)
            for name, box in self.feature_boxes.items():
                box.setChecked(name in s.features)
        finally:
            for w in widgets:
                w.blockSignals(False)
            self.blockSignals(False)

    def set_classes(self, names: tuple[str, ...], colours: list[str]) -> None:
        """The classes a click can add (kept selection where possible)."""
        current = self.click_class.currentIndex()
        self.click_class.blockSignals(True)
        self.click_class.clear()
        for k, name in enumerate(names):
            self.click_class.addItem(f"class {name}" if name != str(k) else f"class {k}")
            if k < len(colours):
                self.click_class.setItemData(k, QColor(colours[k]), Qt.ItemDataRole.DecorationRole)
        self.click_class.setCurrentIndex(current if 0 <= current < len(names) else 0)
        self.click_class.blockSignals(False)

    @property
    def click_label(self) -> int:
        return max(0, self.click_class.currentIndex())
