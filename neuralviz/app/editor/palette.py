"""LayerPalette: every layer type of the spec, grouped, searchable; drag one onto the canvas or
double-click it (Enter in the search box adds the best match)."""

from __future__ import annotations

from PyQt6.QtCore import QMimeData, Qt, pyqtSignal
from PyQt6.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..common.panels import title_label
from .catalog import CATEGORIES, KINDS

LAYER_MIME = "application/x-neuralviz-layer"
TYPE_ROLE = Qt.ItemDataRole.UserRole


class _LayerTree(QTreeWidget):
    """The tree of types; a dragged type travels as LAYER_MIME (the view accepts it)."""

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        types = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if types:
            data.setData(LAYER_MIME, types[0].encode("utf-8"))
            data.setText(types[0])
        return data


class LayerPalette(QWidget):
    addRequested = pyqtSignal(str)  # a layer type

    def __init__(self, parent=None):
        super().__init__(parent)
        title = title_label("LAYERS")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers (Tab)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._add_current)
        self.tree = _LayerTree()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(10)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.tree.currentItemChanged.connect(self._show_summary)
        self.summary = QLabel(
            "Drag a layer onto the canvas, or double-click it: it is added after the selected node and connected to it."
        )
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "hint")
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 4)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(title)
        lay.addWidget(self.search)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.summary)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._build()

    def _build(self) -> None:
        for category in CATEGORIES:
            kinds = [k for k in KINDS.values() if k.category == category]
            if not kinds:
                continue
            group = QTreeWidgetItem([category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            self.tree.addTopLevelItem(group)
            for kind in kinds:
                item = QTreeWidgetItem([kind.type])
                item.setData(0, TYPE_ROLE, kind.type)
                item.setToolTip(0, kind.summary)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                group.addChild(item)
                self._items[kind.type] = item
        self.tree.expandAll()

    @property
    def types(self) -> list[str]:
        return list(self._items)

    def visible_types(self) -> list[str]:
        return [t for t, item in self._items.items() if not item.isHidden()]

    # ------------------------------------------------------------------ searching
    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def filter(self, text: str) -> None:
        """Shows the types whose name, group or summary hold every word typed; the best match (a name
        starting with the text, else the first shown) becomes current, for Enter."""
        query = text.lower().strip()
        shown = []
        for layer_type, item in self._items.items():
            kind = KINDS[layer_type]
            haystack = f"{layer_type} {kind.category} {kind.summary}".lower()
            item.setHidden(not all(w in haystack for w in query.split()))
            if not item.isHidden():
                shown.append(layer_type)
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            group.setHidden(all(group.child(j).isHidden() for j in range(group.childCount())))
        best = next((t for t in shown if t.startswith(query)), shown[0] if shown else None)
        if best is not None:
            self.tree.setCurrentItem(self._items[best])

    def best_match(self) -> str:
        item = self.tree.currentItem()
        if item is not None and not item.isHidden() and item.data(0, TYPE_ROLE):
            return item.data(0, TYPE_ROLE)
        visible = self.visible_types()
        return visible[0] if visible else ""

    def _add_current(self) -> None:
        layer_type = self.best_match()
        if layer_type:
            self.addRequested.emit(layer_type)

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        layer_type = item.data(0, TYPE_ROLE)
        if layer_type:
            self.addRequested.emit(layer_type)

    def _show_summary(self, item, previous) -> None:
        layer_type = item.data(0, TYPE_ROLE) if item is not None else None
        if layer_type:
            self.summary.setText(f"<b>{layer_type}</b>: {KINDS[layer_type].summary}")

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.search.clear()
        super().keyPressEvent(event)
