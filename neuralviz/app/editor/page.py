"""EditorPage: the architecture editor tab. Draw a network as a graph, see the shapes as you draw, and
train what you drew in the studio.

    palette (layer types, search)  |  canvas (nodes, wires)  |  inspector (the selected layer)

The drawing *is* a network spec (GraphModel); every edit is an undoable step of the EditorDocument, and
shape inference runs after each one. Until the user edits anything, the page mirrors the network the
studio is training; from the first edit on, the drawing is the user's and nothing replaces it except the
user (opening a file, a template or a preset, each undoable too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QMimeData, QPointF, Qt, QTimer
from PyQt6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ... import data as nvdata
from ... import presets
from ...layers import SpecError
from ...network import Network
from ...spec import INPUT, read_spec
from ...spec import loads as spec_loads
from ..common.message_panel import MessagePanel
from ..common.page import Page
from ..common.panels import panel, scrolling, title_label
from ..common.snapshot import RunInfo, Snapshot
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .actions import EditorActions
from .cost_panel import DEFAULT_BATCH, CostPanel, CostRequest, CostResult, CostWorker
from .document import EditorDocument
from .export import export_png, export_svg
from .flow_row import FlowRow
from .inspector import Inspector, flops_text
from .layout import GAP_X, auto_layout
from .model import GraphModel
from .palette import LayerPalette
from .scene import GraphScene
from .style import canvas_style
from .templates import TEMPLATES
from .thumbnails import ActivityPictures, ThumbnailWorker
from .training_data import suggest_dataset
from .view import GraphView

CLIPBOARD_MIME = "application/x-neuralviz-fragment"
COST_ROOM = 0.55  # at most this share of the canvas column goes to the cost panel
THUMBNAIL_INTERVAL_MS = 250  # at most 4 thumbnail updates a second (each runs a probe batch)
RELAYOUT_DELAY_MS = 150  # an untouched drawing is laid out again this long after the canvas stops resizing
HEADLESS_WAIT_S = 10.0  # run_headless: longest wait for the thumbnails of the final weights


class EditorPage(QWidget, Page):
    TITLE = "Architecture"

    def __init__(self, window):
        super().__init__()
        self.window = window
        self.theme = window.theme
        self.document = EditorDocument(self)
        self.style_ = canvas_style(self.theme)
        self.scene = GraphScene(self.style_, self)
        self.view = GraphView(self.scene)
        self.palette = LayerPalette()
        self.inspector = Inspector()
        self.message = MessagePanel()
        self.actions = EditorActions(self)
        # the live pictures are probed in a worker thread (the GUI thread runs no network)
        self.thumbnail_host = WorkerHost(ThumbnailWorker(self.theme), "neuralviz-editor-thumbnails", self)
        self.thumbnail_host.frameReady.connect(self._on_pictures)
        self.thumbnail_host.failed.connect(self._on_pictures_failed)
        self._activity: ActivityPictures | None = None  # the pictures shown, and the run they belong to
        self.dataset_hint: str | None = None  # the dataset the template/preset opened was made for
        self.path: Path | None = None
        self._clipboard: dict | None = None  # fallback when the system clipboard is unavailable
        self._pastes = 0
        self._fitted = False
        self._pending_snap = None
        self._pictures: dict = {}
        self._step = 0
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.timeout.connect(self._update_thumbnails)
        self._relayout_timer = QTimer(self)  # a resize settles before the drawing is laid out again
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(RELAYOUT_DELAY_MS)
        self._relayout_timer.timeout.connect(self._relayout_untouched)
        self._laid_out_for: tuple[float, float] | None = None
        self.cost_host: WorkerHost | None = None  # the cost panel's thread, from the first measurement on
        self._cost_serial = 0
        self._cost_spec: dict | None = None  # the drawing the cost panel's figures are of
        self._build()
        self._connect()
        spec = getattr(window.settings, "network", None)
        if spec:
            self._mirror(spec)
        else:
            self.document.replace(GraphModel.from_spec(TEMPLATES["mlp"].network()), "", keep_history=False)

    # ================================================================== layout
    def _build(self) -> None:
        self.tool_bar = QWidget()
        bar = FlowRow(self.tool_bar)  # wraps on a narrow window instead of widening it
        bar.addWidget(title_label("ARCHITECTURE"))
        bar.addSpacing(10)
        self.new_button = self._menu_button("New ▾", "Start from a template (Undo brings the drawing back)")
        for key, template in TEMPLATES.items():
            action = self.new_button.menu().addAction(f"{template.title} — {template.summary}")
            action.triggered.connect(lambda _=False, k=key: self.new_from_template(k))
        self.new_button.menu().addSeparator()
        self.new_button.menu().addAction("Empty drawing").triggered.connect(self.new_empty)
        bar.addWidget(self.new_button)
        self.preset_button = self._menu_button("Presets ▾", "Open the network of a lecture preset")
        for name in presets.names():
            action = self.preset_button.menu().addAction(name)
            action.triggered.connect(lambda _=False, n=name: self.open_preset(n))
        self.preset_button.menu().addSeparator()
        self.preset_button.menu().addAction("The studio's current network").triggered.connect(self.open_studio_network)
        bar.addWidget(self.preset_button)
        for name in ("open", "save"):
            bar.addWidget(self._tool(name))
        bar.addSpacing(10)
        for name in ("undo", "redo", "delete", "layout", "fit", "panels"):
            bar.addWidget(self._tool(name))
        bar.addSpacing(10)
        self.export_button = self._menu_button("Export ▾", "Save the drawing as a picture for slides")
        self.export_button.menu().addAction(self.actions["export_png"])
        self.export_button.menu().addAction(self.actions["export_svg"])
        bar.addWidget(self.export_button)

        canvas = QWidget()
        canvas_lay = QVBoxLayout(canvas)
        canvas_lay.setContentsMargins(0, 0, 0, 0)
        canvas_lay.setSpacing(0)
        # the cost panel shares the canvas's column (below it, hidden until measured): its rows need the width
        self.cost_panel = CostPanel(self.theme)
        self.cost_panel.hide()
        self.canvas_split = QSplitter(Qt.Orientation.Vertical)
        self.canvas_split.addWidget(self.view)
        self.canvas_split.addWidget(self.cost_panel)
        self.canvas_split.setChildrenCollapsible(False)
        self.canvas_split.setStretchFactor(0, 1)
        canvas_lay.addWidget(self.canvas_split, 1)
        self.totals = QLabel()
        self.totals.setProperty("role", "metric")
        self.totals.setContentsMargins(10, 4, 10, 4)
        self.totals.setWordWrap(True)
        self.totals.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.measure_button = QPushButton("Measure cost")
        self.measure_button.setToolTip(
            "Time one training step of this network layer by layer (nothing is trained) and show where the "
            "milliseconds and the memory go"
        )
        totals_row = QHBoxLayout()
        totals_row.setContentsMargins(0, 0, 6, 2)
        totals_row.addWidget(self.totals, 1)
        totals_row.addWidget(self.measure_button, 0, Qt.AlignmentFlag.AlignVCenter)
        canvas_lay.addLayout(totals_row)

        right = QWidget()
        right_lay = QVBoxLayout(right)
        right_lay.setContentsMargins(0, 0, 0, 0)
        right_lay.addWidget(self._train_box())
        self.inspector_scroll = scrolling(self.inspector)
        right_lay.addWidget(panel(self.inspector_scroll), 1)
        self.right_column = right

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(panel(self.palette))
        self.splitter.addWidget(panel(canvas))
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self._sized_for: int | None = None  # the splitter width the panels were sized for (None: user's sizes)
        self.splitter.splitterMoved.connect(lambda *_: setattr(self, "_sized_for", None))
        self._size_panels()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.setSpacing(6)
        lay.addWidget(self.tool_bar)
        lay.addWidget(self.message)
        lay.addWidget(self.splitter, 1)

    def _train_box(self) -> QFrame:
        """Train this network (and on what), and whether the nodes show the run's activity."""
        a = self.actions
        self.train_button = QPushButton(a["train"].text())
        self.train_button.setToolTip(a["train"].toolTip())
        self.train_button.setStyleSheet(
            "QPushButton { background: #183d4e; color: white; font-weight: bold; "
            "padding: 6px 14px; border-radius: 5px; }"
            "QPushButton:disabled { background: #8c959f; }"
        )
        self.train_button.clicked.connect(self.train)
        self.dataset_combo = QComboBox()
        self.dataset_combo.addItem("automatic", "")
        for name in nvdata.names():
            self.dataset_combo.addItem(name, name)
        self.dataset_combo.setToolTip(
            "The data the studio trains the drawing on (automatic: the studio's "
            "current data if it suits the drawing's input, else data that does)"
        )
        self.live_box = QCheckBox("Live activity in the nodes")
        self.live_box.setChecked(True)
        self.live_box.setToolTip(
            "While the studio trains this network, each node shows what its units do: a "
            "heat-map over the input plane for 2-D data, feature maps for images"
        )
        self.live_box.toggled.connect(self._live_toggled)
        self.activity = QLabel()
        self.activity.setProperty("role", "hint")
        self.activity.setWordWrap(True)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.train_button)
        row = QHBoxLayout()
        row.addWidget(QLabel("on"))
        row.addWidget(self.dataset_combo, 1)
        lay.addLayout(row)
        lay.addWidget(self.live_box)
        lay.addWidget(self.activity)
        return panel(box)

    def _size_panels(self) -> None:
        """The side panels' widths: what their text needs, but at most a share of the page, so that on a
        1024-pixel projector with large fonts the canvas (the picture the room reads) keeps half the width."""
        k = self.theme.font_pt / 10.0
        # the side panels grow less than the fonts: with large fonts the canvas is what the room reads
        k = 1.0 + (k - 1.0) * 0.6
        self.palette.setMinimumWidth(int(150 * k))
        self.right_column.setMinimumWidth(int(220 * k))
        total = max(sum(self.splitter.sizes()), self.splitter.width(), 600)
        side = [
            max(self.palette.minimumSizeHint().width(), min(int(175 * k), int(0.18 * total))),
            max(self.right_column.minimumSizeHint().width(), min(int(290 * k), int(0.28 * total))),
        ]
        self.splitter.setSizes([side[0], total - sum(side), side[1]])
        self._sized_for = self.splitter.width()

    def _tool(self, name: str) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(self.actions[name])
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    def _menu_button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setMenu(QMenu(button))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return button

    def _connect(self) -> None:
        d, a = self.document, self.actions
        d.changed.connect(self._on_changed)
        d.refused.connect(self.show_error)
        d.undo_stack.canUndoChanged.connect(a["undo"].setEnabled)
        d.undo_stack.canRedoChanged.connect(a["redo"].setEnabled)
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        for name, slot in (
            ("open", self._open_dialog),
            ("save", self._save_dialog),
            ("undo", d.undo_stack.undo),
            ("redo", d.undo_stack.redo),
            ("delete", self.delete_selection),
            ("copy", self.copy_selection),
            ("cut", self.cut_selection),
            ("paste", self.paste),
            ("duplicate", self.duplicate),
            ("select_all", self.select_all),
            ("layout", self.auto_layout),
            ("fit", self.fit),
            ("search", self.palette.focus_search),
            ("panels", self.show_panels),
            ("export_png", lambda: self._export_dialog("png")),
            ("export_svg", lambda: self._export_dialog("svg")),
            ("train", self.train),
        ):
            a[name].triggered.connect(slot)
        self.measure_button.clicked.connect(self.measure_cost)
        self.cost_panel.closed.connect(lambda: QTimer.singleShot(0, self.view.refit))
        self.scene.connectRequested.connect(self.connect_layers)
        self.scene.nodesMoved.connect(self._nodes_moved)
        self.scene.selectionChanged.connect(self._show_inspector)
        self.view.layerDropped.connect(self._dropped)
        self.view.resized.connect(self._relayout_timer.start)
        self.view.searchRequested.connect(self.palette.focus_search)
        self.palette.addRequested.connect(self._palette_add)
        i = self.inspector
        i.paramChanged.connect(self.set_param)
        i.renamed.connect(self.rename)
        i.inputShapeChanged.connect(
            lambda shape: self._edit("Change the input shape", lambda m: m.set_input_shape(shape))
        )
        i.networkNameChanged.connect(lambda name: self._edit("Rename the network", lambda m: setattr(m, "name", name)))
        i.outputChosen.connect(lambda lid: self._edit(f"Make '{lid}' the output", lambda m: m.set_output(lid)))
        i.invalid.connect(lambda reason: self.show_error(f"Not applied: {reason}"))

    # ================================================================== the Page protocol
    def on_configured(self, info: RunInfo) -> None:
        if not self.document.touched:
            self._mirror(info.settings.network)

    def on_snapshot(self, snap: Snapshot) -> None:
        self._pending_snap = snap
        if not self._thumb_timer.isActive():
            self._thumb_timer.start(THUMBNAIL_INTERVAL_MS)

    def set_theme(self, theme: Theme) -> None:
        """The window's large-fonts / high-contrast switches: the canvas scales with the fonts."""
        if theme == self.theme:
            return
        self.theme = theme
        self.style_ = canvas_style(theme)
        self.scene.set_style(self.style_)
        self.thumbnail_host.post(self.thumbnail_host.worker.set_theme, theme)
        self.cost_panel.set_theme(theme)
        self._size_panels()
        self.scene.sync(self.document.model, self.document.inference)
        self.fit()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """The studio trains; done() once the nodes show the activity of the final weights."""
        self.window.studio.run_headless(steps, lambda: self._when_thumbnails_caught_up(done))

    def shown_step(self) -> int:
        return self.window.studio.shown_step()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.cost_panel.isVisible():
            QTimer.singleShot(0, self._fit_cost_panel)
        if self._sized_for is not None and self._sized_for != self.splitter.width():
            self._size_panels()  # the window changed size, and the user has not dragged the panels

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._size_panels()
            QTimer.singleShot(0, self.fit)

    # ================================================================== edits
    def _edit(self, text: str, change) -> bool:
        ok = self.document.edit(text, change)
        if ok and self.message.level == "error":
            self.message.clear()  # the error was about the state before this edit
        return ok

    def add_layer(
        self, layer_type: str, pos: QPointF | None = None, after: str | None = None, params: dict | None = None
    ) -> str | None:
        """Adds a layer; after=id places it right of that node and connects it. Returns the new id."""
        model = self.document.model
        if pos is not None:
            x, y = self.scene.to_model(pos)
        elif after is not None and after in self.scene.nodes:
            w, h = self.scene.model_size(after)
            x, y = model.positions[after]
            x += w + GAP_X
            while any(abs(px - x) < 60 and abs(py - y) < 40 for px, py in model.positions.values()):
                y += h + 30  # below whatever is already there
        else:
            x, y = self.scene.to_model(self.view.mapToScene(self.view.viewport().rect().center()))
            x, y = x - 70, y - 30
        new = {}

        def change(m: GraphModel) -> None:
            new["id"] = m.add_layer(layer_type, params, (x, y), inputs=[after] if after is not None else ())

        if not self._edit(f"Add {layer_type}", change):
            return None
        self.scene.select([new["id"]])
        return new["id"]

    def _palette_add(self, layer_type: str) -> None:
        selected = self.scene.selected_nodes()
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        if len(selected) == 1:
            lid = self.add_layer(layer_type, after=selected[0])
        elif visible.contains(self.view.last_scene_pos):  # where the mouse last was on the canvas
            lid = self.add_layer(layer_type, pos=self.view.last_scene_pos)
        else:
            lid = self.add_layer(layer_type)
        if lid is not None:
            self.view.ensureVisible(self.scene.nodes[lid], 40, 40)
            self.view.setFocus()

    def _dropped(self, layer_type: str, pos: QPointF) -> None:
        self.add_layer(layer_type, pos=pos - QPointF(60, 25) * self.scene.unit)
        self.view.setFocus()

    def connect_layers(self, src: str, dst: str) -> bool:
        return self._edit(f"Connect {src} → {dst}", lambda m: m.connect(src, dst))

    def set_param(self, lid: str, key: str, value) -> bool:
        return self._edit(f"Set {lid}.{key}", lambda m: m.set_param(lid, key, value))

    def rename(self, old: str, new: str) -> bool:
        ok = self._edit(f"Rename {old} to {new}", lambda m: m.rename(old, new))
        if ok:
            self.scene.select([new])
        return ok

    def delete_selection(self) -> bool:
        nodes = [lid for lid in self.scene.selected_nodes() if lid != INPUT]
        edges = sorted(self.scene.selected_edges(), key=lambda e: -e[2])  # later slots first

        def change(m: GraphModel) -> None:
            for src, dst, slot in edges:
                m.disconnect(src, dst, slot)
            m.remove(nodes)

        if not nodes and not edges:
            return False
        what = f"{len(nodes)} layer{'s' * (len(nodes) != 1)}" if nodes else f"{len(edges)} wire(s)"
        return self._edit(f"Delete {what}", change)

    def select_all(self) -> None:
        self.scene.select(list(self.document.model.layers))

    def _nodes_moved(self, positions: dict) -> None:
        model = self.document.model
        changed = {
            lid: p
            for lid, p in positions.items()
            if lid in model.positions and max(abs(a - b) for a, b in zip(model.positions[lid], p)) > 0.01
        }
        if changed:
            self.document.edit(f"Move {len(changed)} node(s)", lambda m: m.move(changed))

    # ------------------------------------------------------------------ copy and paste
    def copy_selection(self) -> bool:
        ids = [lid for lid in self.scene.selected_nodes() if lid != INPUT]
        if not ids:
            return False
        fragment = self.document.model.fragment(ids)
        self._clipboard = fragment
        self._pastes = 0
        data = QMimeData()
        text = json.dumps(fragment)
        data.setData(CLIPBOARD_MIME, text.encode("utf-8"))
        data.setText(text)
        QApplication.clipboard().setMimeData(data)
        return True

    def cut_selection(self) -> bool:
        return self.copy_selection() and self.delete_selection()

    def paste(self) -> list[str]:
        fragment = self._clipboard_fragment()
        if fragment is None:
            self.show_error("Nothing to paste: copy some layers first (Ctrl+C).")
            return []
        self._pastes += 1
        offset = (40.0 * self._pastes, 40.0 * self._pastes)
        new: list[str] = []
        if self._edit(
            f"Paste {len(fragment.get('layers', []))} layer(s)", lambda m: new.extend(m.paste(fragment, offset))
        ):
            self.scene.select(new)
        return new

    def duplicate(self) -> list[str]:
        return self.paste() if self.copy_selection() else []

    def _clipboard_fragment(self) -> dict | None:
        data = QApplication.clipboard().mimeData()
        if data is not None and data.hasFormat(CLIPBOARD_MIME):
            try:
                fragment = spec_loads(bytes(data.data(CLIPBOARD_MIME)), "the clipboard")  # no RecursionError
                if isinstance(fragment, dict):
                    return fragment
            except ValueError:
                pass
        return self._clipboard

    # ------------------------------------------------------------------ layout and view
    def auto_layout(self) -> None:
        model = self.document.model
        positions = auto_layout(model, self.scene.model_size, self._canvas(self.scene.unit))
        self.document.edit("Auto-layout", lambda m: m.move(positions))
        self.fit()

    def show_panels(self, canvas_only: bool = False) -> None:
        """Hides the palette and the inspector (canvas_only) or shows them again; the drawing refits."""
        for index in (0, 2):
            self.splitter.widget(index).setVisible(not canvas_only)
        self.actions["panels"].setChecked(canvas_only)
        QTimer.singleShot(0, self.fit)

    def fit(self) -> None:
        self._fitted = self.isVisible()
        self.view.fit(self.scene.drawing_rect())

    def _relayout_untouched(self) -> None:
        """Until the user edits it, the drawing (the studio's network) is laid out again for the canvas it now
        has: a long chain laid out for a wide window would be shrunk to fit a 1024-pixel projector with
        large fonts, while more rows keep the nodes large. An edited drawing keeps the user's layout."""
        model = self.document.model
        if self.document.touched or not self.isVisible() or not model.layers:
            return
        canvas = self._canvas(self.scene.unit)
        last = self._laid_out_for
        if last is not None and all(abs(a - b) <= 0.05 * b for a, b in zip(canvas, last)):
            return  # a scroll bar coming or going is no reason to move the nodes
        self._laid_out_for = canvas
        positions = auto_layout(model, self.scene.model_size, canvas)
        if any(model.positions.get(lid) != p for lid, p in positions.items()):
            model.move(positions)
            self.document.refresh()
        self.fit()

    # ================================================================== whole drawings
    def _replace(self, model: GraphModel, text: str, dataset: str | None, keep_history: bool = True) -> None:
        if not model.has_layout():
            sizes = self.scene.measure(model, self.document.checker.infer(model))
            model.positions.update(auto_layout(model, sizes.get, self._canvas(self.scene.unit)))
        self.document.replace(model, text, keep_history)
        self.dataset_hint = dataset
        self.scene.clearSelection()
        self.fit()

    def _canvas(self, unit: float = 1.0) -> tuple[float, float]:
        """The canvas size in layout units (the layout wraps long chains to fill it); before the page is
        first shown, the size it will have in a 1600 x 1000 window."""
        vp = self.view.viewport().rect()
        w, h = (vp.width(), vp.height()) if self.isVisible() and vp.height() > 100 else (1050, 780)
        return w / unit, h / unit

    def new_from_template(self, key: str) -> None:
        template = TEMPLATES[key]
        self._replace(GraphModel.from_spec(template.network()), f"New from template {template.title}", template.dataset)

    def new_empty(self) -> None:
        self._replace(GraphModel("untitled", self.document.model.input_shape), "New empty drawing", None)

    def open_preset(self, name: str) -> bool:
        try:
            preset = presets.load(name)
            model = GraphModel.from_spec(preset["network"])
        except (ValueError, KeyError) as err:
            self.show_error(f"Could not open preset {name!r}: {err}")
            return False
        self._replace(model, f"Open preset {name}", preset.get("dataset", {}).get("name"))
        return True

    def open_studio_network(self) -> None:
        spec = self.window.settings.network
        try:
            model = GraphModel.from_spec(spec)
        except (SpecError, ValueError) as err:
            self.show_error(f"The studio's network cannot be drawn: {err}")
            return
        self._replace(model, "Open the studio's network", self.window.settings.dataset)

    def _mirror(self, spec: dict) -> None:
        """Shows the studio's network (before the user has edited anything); never an undo step."""
        try:
            model = GraphModel.from_spec(spec)
        except (SpecError, ValueError):
            return
        current = self.document.model
        if current.layers and model.to_spec(layout=False) == current.to_spec(layout=False):
            return
        self._replace(model, "", getattr(self.window.settings, "dataset", None), keep_history=False)
        self.document.touched = False

    def open_spec(self, source) -> bool:
        """Opens a spec (a path, JSON text or a dict); on any problem says why and keeps the drawing."""
        name = "the spec"
        try:
            if isinstance(source, dict):
                spec = source
            else:
                path = Path(source)
                name = path.name
                # the engine's reader: refuses directories, files over 64 MiB and JSON nested too deeply
                # (a RecursionError must never escape a Qt slot) with a SpecError naming the problem
                spec = read_spec(path)
            model = GraphModel.from_spec(spec)
        except (OSError, SpecError, ValueError, TypeError, RecursionError, MemoryError) as err:
            self.show_error(f"Could not open {name}: {err}. The drawing is unchanged.")
            return False
        self._replace(model, f"Open {name}", None)
        if not isinstance(source, dict):
            self.path = Path(source)
        self.message.show_info(f"Opened {name}: {len(model.layers)} layers.")
        return True

    def save_spec(self, path) -> bool:
        try:
            text = json.dumps(self.document.model.to_spec(layout=True), indent=1)
            Path(path).write_text(text + "\n", encoding="utf-8")
        except (OSError, TypeError, ValueError) as err:
            self.show_error(f"Could not save {path}: {err}")
            return False
        self.path = Path(path)
        self.message.show_info(f"Saved {Path(path).name}.")
        return True

    def export(self, path, kind: str) -> bool:
        path = Path(path)
        ok = export_png(self.scene, path) if kind == "png" else export_svg(self.scene, path, self.document.model.name)
        if ok:
            self.message.show_info(f"Exported {path.name}.")
        else:
            self.show_error(f"Could not write {path}")
        return ok

    # ------------------------------------------------------------------ dialogs
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open network spec", str(self.path or ""), "Network specs (*.json)")
        if path:
            self.open_spec(path)

    def _save_dialog(self) -> None:
        suggested = str(self.path or f"{self.document.model.name}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save network spec", suggested, "Network specs (*.json)")
        if path:
            self.save_spec(path)

    def _export_dialog(self, kind: str) -> None:
        suggested = f"{self.document.model.name}.{kind}"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export as {kind.upper()}", suggested, f"{kind.upper()} images (*.{kind})"
        )
        if path:
            self.export(path, kind)

    # ================================================================== training
    def chosen_dataset(self) -> str:
        """The dataset picked in "Train on", else the studio's current one if it suits the drawing's
        input, else the one the template or preset was made for, else one that suits."""
        picked = self.dataset_combo.currentData()
        if picked:
            return picked
        spec = self.document.model.training_spec()
        current = self.window.settings.dataset
        for candidate in (current, self.dataset_hint):
            if candidate and suggest_dataset(spec, candidate) == candidate:
                return candidate
        return suggest_dataset(spec, current)

    def train(self) -> bool:
        """Hands the drawing to the studio (same window) and shows it there."""
        inference = self.document.inference
        if inference.problems:
            self.show_error(f"Cannot train yet: {inference.problems[0]}")
            return False
        spec = self.document.model.training_spec()
        try:
            Network.from_spec(spec)
        except (SpecError, ValueError, TypeError) as err:
            self.show_error(f"Cannot train yet: {err}")
            return False
        dataset = self.chosen_dataset()
        w = self.window
        if dataset != w.settings.dataset:
            w.settings = w.settings.updated(dataset=dataset, dataset_options={}, point_edits=[], loss=None)
        w.apply_spec(spec)
        w.show_studio()
        return True

    # ================================================================== cost of a step
    def measure_cost(self) -> bool:
        """Time one training step of the drawing, layer by layer, in a worker thread; the cost panel shows it.
        False (and the reason in the message panel) when the drawing has problems."""
        inference = self.document.inference
        if inference.problems:
            self.show_error(f"Cannot measure the cost yet: {inference.problems[0]}")
            return False
        dataset = self.chosen_dataset()
        batch = int(getattr(self.window.settings, "batch_size", 0) or DEFAULT_BATCH)
        self._cost_serial += 1
        self._cost_spec = self.document.model.training_spec()
        spec = self.document.model.training_spec()  # a copy of its own: it goes to the worker's thread
        request = CostRequest(self._cost_serial, spec, batch, dataset, self._studio_input(dataset))
        if self.cost_host is None:  # the thread starts with the first measurement
            self.cost_host = WorkerHost(CostWorker(), "neuralviz-editor-cost", self)
            self.cost_host.frameReady.connect(self._on_cost)
            self.cost_host.failed.connect(self._on_cost_failed)
        first = self.cost_panel.isHidden()
        self.cost_panel.show_busy(batch, dataset)
        if first:  # the panel takes a little over half the canvas's column: the rows are what the room reads now
            total = sum(self.canvas_split.sizes()) or self.canvas_split.height()
            self.canvas_split.setSizes([total - int(COST_ROOM * total), int(COST_ROOM * total)])
            QTimer.singleShot(0, self.view.refit)
        self.measure_button.setEnabled(False)
        self.cost_host.post(self.cost_host.worker.measure, request)
        return True

    def _studio_input(self, dataset: str) -> tuple[int, ...] | None:
        """The example shape of the studio's data when the cost is measured for it (None: the worker finds it)."""
        info = getattr(self.window, "info", None)
        if info is None or info.settings.dataset != dataset:
            return None
        if info.kind == "planar":
            return (len([f for f in nvdata.PLAYGROUND_FEATURES if f in info.settings.features]),)
        return tuple(info.data.train_x.shape[1:])

    def _on_cost(self, result: CostResult) -> None:
        if result.serial != self._cost_serial:
            return  # an older request's answer
        self.measure_button.setEnabled(True)
        self.cost_panel.show_result(result)
        QTimer.singleShot(0, self._fit_cost_panel)  # once the rows are laid out

    def _fit_cost_panel(self, tries: int = 3) -> None:
        """Give the cost panel the height its rows need, up to COST_ROOM of the canvas column, and the rest to the
        canvas (a short network needs little). Its lines re-wrap at the new size, which can change what it needs,
        so the fit is checked again once the layout has settled; the window's resizes fit it again."""
        sizes = self.canvas_split.sizes()
        total = sum(sizes)
        want = min(self.cost_panel.wanted_height(), int(COST_ROOM * total))
        if self.cost_panel.isVisible() and self.cost_panel.profile is not None and want != sizes[1]:
            self.canvas_split.setSizes([total - want, want])
            self.view.refit()
            if tries > 1:
                QTimer.singleShot(0, lambda: self._fit_cost_panel(tries - 1))

    def _on_cost_failed(self, message: str) -> None:
        self.measure_button.setEnabled(True)
        self.cost_panel.show_failed(message)
        self.show_error(message)

    # ================================================================== showing
    def show_error(self, text: str) -> None:
        self.message.show_error(text)

    def _on_changed(self) -> None:
        model, inference = self.document.model, self.document.inference
        self.scene.sync(model, inference)
        self._show_inspector()
        out = inference.output
        shape = ""
        if out and inference.nodes[out].ok:
            shape = " → " + "×".join(str(d) for d in inference.nodes[out].shape)
        problems = len(inference.problems)
        self.totals.setText(
            f"<b>{model.name}</b>: {len(model.layers)} layers{shape} · <b>{inference.params:,d}</b> parameters · "
            f"<b>{flops_text(inference.flops)}</b> per example"
            + (
                f" · <span style='color:#a40e26'><b>⚠ {problems} problem{'s' * (problems > 1)}</b></span>"
                if problems
                else " · <span style='color:#1a7f37'>✓ builds</span>"
            )
        )
        self.train_button.setEnabled(not problems)
        if self._cost_spec is not None and model.training_spec() != self._cost_spec:
            self.cost_panel.mark_stale()  # the figures are of another drawing (a relayout alone keeps them)
        self._apply_pictures()

    def _show_inspector(self) -> None:
        self.inspector.show_selection(self.document.model, self.document.inference, self.scene.selected_nodes())

    # ------------------------------------------------------------------ live thumbnails
    def _live_toggled(self, on: bool) -> None:
        if not on:
            self._pictures = {}
            self.scene.set_live(False)
            self._apply_pictures()
            self.activity.setText("")
        elif self.window.latest is not None:
            self.on_snapshot(self.window.latest)

    def _update_thumbnails(self) -> None:
        """Hand the newest snapshot to the worker (it drops any older one it has not started)."""
        snap, self._pending_snap = self._pending_snap, None
        if snap is None or not self.isVisible() or not self.live_box.isChecked():
            return
        self.thumbnail_host.worker.pending = snap
        self.thumbnail_host.post(self.thumbnail_host.worker.wake)

    def _on_pictures(self, activity: ActivityPictures) -> None:
        if not self.live_box.isChecked():
            return  # switched off while the probe ran
        self._activity, self._pictures, self._step = activity, activity.pictures, activity.step
        self._apply_pictures()
        # keep the probe under ~10% of the time: a slow one spaces the updates out
        self._thumb_timer.setInterval(max(THUMBNAIL_INTERVAL_MS, int(activity.seconds * 10_000)))

    def _on_pictures_failed(self, message: str) -> None:
        self._pictures = {}
        self.activity.setText(f"no live activity: {message}")

    def _when_thumbnails_caught_up(self, done: Callable[[], None], waited: float = 0.0) -> None:
        """done() once the nodes show the latest frame's activity (or nothing will: off, hidden, slow)."""
        latest = self.window.latest
        waiting = self.live_box.isChecked() and self.isVisible() and latest is not None
        if not waiting or self._step == latest.step or waited > HEADLESS_WAIT_S:
            done()
            return
        QTimer.singleShot(50, lambda: self._when_thumbnails_caught_up(done, waited + 0.05))

    def _apply_pictures(self) -> None:
        mapping = self._run_ids()
        before = self.scene.drawing_rect()
        self.scene.set_live(len(mapping) > 1)
        if len(mapping) > 1:
            self.activity.setText(f"live: the studio's run at step {self._step:,d}")
        elif self._pictures:
            self.activity.setText("the studio trains another network (Train this one to watch it)")
        else:
            self.activity.setText("")
        for lid, node in self.scene.nodes.items():
            node.set_thumbnails(*self._pictures.get(mapping.get(lid, ""), ([], 0, "", "")))
        if self.scene.drawing_rect() != before:  # the nodes grew (first pictures) or shrank (none)
            if self.document.touched:
                self.view.refit()
            else:
                self._laid_out_for = None
                self._relayout_timer.start()

    def _run_ids(self) -> dict[str, str]:
        """Editor node id -> the id of the same layer in the studio's run. The run must be this drawing:
        the same layers by id, or (when the studio renamed the layers of a plain chain) by position; a
        node whose shape differs from the run's (edited since) gets no picture. Empty when the studio
        trains another network."""
        if not self._pictures:
            return {}
        model, run, inference = self.document.model, self._activity, self.document.inference
        mine = [lid for lid in model.order() if lid in model.feeds_output()]
        types = [model.layers[lid]["type"] for lid in mine]
        if set(mine) == set(run.order) and all(run.types.get(lid) == model.layers[lid]["type"] for lid in mine):
            mapping = {lid: lid for lid in mine}
        elif types == [run.types.get(r) for r in run.order]:
            mapping = dict(zip(mine, run.order))
        else:
            return {}
        mapping[INPUT] = INPUT
        return {
            lid: r
            for lid, r in mapping.items()
            if inference.nodes.get(lid) is not None and inference.nodes[lid].shape == run.shapes.get(r)
        }

    # ================================================================== lifetime
    def shutdown(self) -> None:
        self.thumbnail_host.shutdown()
        if self.cost_host is not None:
            self.cost_host.shutdown()
