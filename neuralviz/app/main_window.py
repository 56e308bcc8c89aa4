"""MainWindow: the training studio. It puts the panels together and owns the user's settings.

Flow of a change: a panel emits what the user changed -> the window updates its StudioSettings and sends
them to the worker (live keys keep the weights, others rebuild) -> the worker answers `configured` with
the run now in force (the panels then show exactly that) or `rejected` with the reason (shown in the
message banner; the previous run keeps training, nothing the user had is lost).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QFontMetrics, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import data as nvdata
from ..spec import read_spec
from .controller import TrainingController
from .controls import ControlsBar
from .data_panel import DataPanel
from .hyper_panel import HyperPanel
from .message_panel import MessagePanel
from .network_panel import NetworkPanel
from .output_panel import OutputPanel
from .pages import load_pages
from .plot_style import configure_pyqtgraph
from .session import load_session, save_session
from .settings import DEFAULT_PRESET, LIVE_KEYS, StudioSettings
from .snapshot import RunInfo, Snapshot
from .theme import Theme, framed, make_theme, stylesheet


def _short(message: str, limit: int = 110) -> str:
    first = message.splitlines()[0] if message else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


class MainWindow(QMainWindow):
    def __init__(self, settings: StudioSettings | None = None, theme: Theme | None = None):
        super().__init__()
        configure_pyqtgraph()
        # Every Qt callback into Python (each paint, each event) needs the GIL, which the training thread
        # holds between its GIL-free kernel calls; a 1 ms switch interval (instead of 5) bounds how long
        # the GUI waits for it each time.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.theme = theme or make_theme()
        self.settings = settings or StudioSettings.from_preset(DEFAULT_PRESET)
        self.applied: StudioSettings | None = None
        self.info: RunInfo | None = None
        self.latest: Snapshot | None = None
        self.selected: tuple[str, int] | None = None
        self.frames_drawn = 0
        self.on_final: Callable[[Snapshot], None] | None = None  # used by `neuralviz gui --screenshot`
        self._pending_reason = ""
        self._opening_session = ""  # name of a session whose run the worker has not confirmed yet

        self.controller = TrainingController(self)
        self._build_widgets()
        self._build_menus()
        self._connect()
        self.apply_theme(self.theme)
        self.resize(1600, 1000)
        self._show_settings(self.settings)
        self.controller.configure(self.settings)

    # ================================================================== layout
    def _build_widgets(self) -> None:
        t = self.theme
        self.controls = ControlsBar()
        self.hyper = HyperPanel()
        self.data_panel = DataPanel()
        self.network_panel = NetworkPanel(t)
        self.output_panel = OutputPanel(t)
        self.message = MessagePanel()

        top = QFrame()
        top.setProperty("role", "panel")
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(6, 6, 6, 6)
        top_lay.setSpacing(2)
        top_lay.addWidget(self.controls)
        top_lay.addWidget(self.hyper)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        data_scroll = QScrollArea()  # a long data panel (large fonts) scrolls instead of growing the window
        data_scroll.setWidget(self.data_panel)
        data_scroll.setWidgetResizable(True)
        data_scroll.setFrameShape(QFrame.Shape.NoFrame)
        data_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.data_scroll = data_scroll
        for w in (data_scroll, self.network_panel, self.output_panel):
            self.splitter.addWidget(framed(w))
        self.splitter.setSizes([250, 800, 530])
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget()
        central.setObjectName("studioCentral")
        lay = QVBoxLayout(central)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.setSpacing(6)
        lay.addWidget(top)
        lay.addWidget(self.message)
        lay.addWidget(self.splitter, 1)
        self.studio_page = central
        # the studio is the first tab; the editor, feature maps and comparison follow (pages.py)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(central, "Studio")
        self.pages: dict[str, QWidget] = {}
        for title, page in load_pages(self):
            self.pages[title] = page
            self.tabs.addTab(page, title)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.setCentralWidget(self.tabs)
        self.path_label = QLabel("")
        self.statusBar().addPermanentWidget(self.path_label)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for text, keys, slot in (
            ("&Open session…", QKeySequence.StandardKey.Open, self._open_session_dialog),
            ("&Save session…", QKeySequence.StandardKey.Save, self._save_session_dialog),
            ("Open network &spec…", None, self._open_spec_dialog),
            ("Export &output view as PNG…", None, lambda: self._export_dialog(True)),
            ("&Export window as PNG…", "Ctrl+E", lambda: self._export_dialog(False)),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            if keys is not None:
                action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            file_menu.addAction(action)
        view = bar.addMenu("&View")
        self.large_fonts_action = QAction("&Large fonts", self, checkable=True)
        self.large_fonts_action.setChecked(self.theme.large_fonts)
        self.high_contrast_action = QAction("&High contrast", self, checkable=True)
        self.high_contrast_action.setChecked(self.theme.high_contrast)
        for action in (self.large_fonts_action, self.high_contrast_action):
            action.toggled.connect(self._theme_toggled)
            view.addAction(action)
        train = bar.addMenu("&Training")
        for text, keys, slot in (
            ("Play / pause", "Space", lambda: self._on_page("toggle_play")),
            ("Step", "S", lambda: self._on_page("step")),
            ("Reset", "R", lambda: self._on_page("restart", "reset")),
        ):
            action = QAction(f"{text}\t{keys}", self)
            action.triggered.connect(slot)
            train.addAction(action)
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(slot)
        QShortcut(QKeySequence("Right"), self).activated.connect(lambda: self._on_page("step"))

    def _on_page(self, action: str, studio_action: str = "") -> None:
        """Keyboard play/step/reset go to the visible page when it trains on its own
        (the comparison race), else to the studio."""
        page = self.tabs.currentWidget()
        if page is not self.studio_page and hasattr(page, action):
            getattr(page, action)()
        else:
            getattr(self, studio_action or action)()

    def _connect(self) -> None:
        c = self.controller
        c.snapshotReady.connect(self.render)
        c.configured.connect(self._on_configured)
        c.rejected.connect(self._on_rejected)
        c.failed.connect(self.show_error)
        c.playingChanged.connect(self.controls.set_playing)

        self.controls.playClicked.connect(self.toggle_play)
        self.controls.stepClicked.connect(self.step)
        self.controls.resetClicked.connect(self.reset)
        self.controls.speedChanged.connect(c.set_speed)
        c.set_speed(self.controls.speed)

        self.hyper.changed.connect(lambda changes: self.change("", **changes))
        self.hyper.invalid.connect(self.show_error)
        d = self.data_panel
        d.datasetChosen.connect(self._dataset_chosen)
        d.optionsChanged.connect(lambda opts: self.change("dataset options", dataset_options=opts, point_edits=[]))
        d.featuresChanged.connect(lambda feats: self.change("input features", features=feats))
        d.regenerateClicked.connect(
            lambda: self.change("data sample", data_seed=self.settings.data_seed + 1, point_edits=[])
        )
        d.showTestChanged.connect(self.output_panel.set_show_test)
        n = self.network_panel
        n.presetChosen.connect(self.load_preset)
        n.hiddenChanged.connect(lambda sizes: self.change("hidden layers", hidden=sizes))
        n.openSpecClicked.connect(self._open_spec_dialog)
        n.invalid.connect(self.show_error)
        n.view.neuronClicked.connect(self._neuron_clicked)
        n.view.featureToggled.connect(self._feature_toggled)
        self.output_panel.showOutputClicked.connect(lambda: self._select(None))
        self.output_panel.boundary.pointClicked.connect(self._point_clicked)

    # ================================================================== theme
    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        app = QApplication.instance()
        font = app.font()
        font.setPointSizeF(theme.font_pt)
        app.setFont(font)
        self.setFont(font)
        self.setStyleSheet(stylesheet(theme))
        self.hyper.set_columns(5 if theme.large_fonts else 9)
        self.path_label.setMinimumWidth(QFontMetrics(font).horizontalAdvance("fused C++ SGD path") + 24)
        self.data_scroll.setMinimumWidth(int(theme.font_pt * 22))
        # the output map is what the room looks at: with large fonts it gets a larger share
        total = max(sum(self.splitter.sizes()), 1200)
        shares = (0.2, 0.4, 0.4) if theme.large_fonts else (0.17, 0.49, 0.34)
        self.splitter.setSizes([int(total * f) for f in shares])
        self.output_panel.set_theme(theme)
        self.network_panel.view.set_theme(theme)
        if self.latest is not None:
            self.render(self.latest)

    def _theme_toggled(self) -> None:
        self.apply_theme(make_theme(self.large_fonts_action.isChecked(), self.high_contrast_action.isChecked()))

    # ================================================================== commands
    def toggle_play(self) -> None:
        (self.controller.pause if self.controller.playing else self.controller.play)()

    def play(self) -> None:
        self.controller.play()

    def pause(self) -> None:
        self.controller.pause()

    def step(self) -> None:
        if not self.controller.playing:
            self.controller.step()

    def reset(self) -> None:
        self._pending_reason = "Reset: the weights are back at their initial values, the counters at zero."
        self.controller.reset()

    def train_steps(self, steps: int) -> None:
        """Train `steps` steps as fast as possible, then pause (the frame after it has .final set)."""
        self.controller.train_for(steps)

    def change(self, reason: str, **changes) -> None:
        """Apply a user change: live keys keep the weights; anything else rebuilds the run."""
        if "seed" in changes:
            changes["data_seed"] = changes["seed"]  # one seed: weights, data and minibatch order
        self.settings = self.settings.updated(**changes)
        if set(changes) <= LIVE_KEYS:
            self.controller.set_live(**changes)
            said = ", ".join(f"{k.replace('_', ' ')} → {v}" for k, v in changes.items())
            self.statusBar().showMessage(f"{said}: applied to the running training, weights kept", 5000)
            return
        what = reason or ", ".join(f"{k.replace('_', ' ')} → {v}" for k, v in changes.items())
        self._pending_reason = f"Rebuilt for the new {what}: fresh weights, counters at zero."
        self.controller.configure(self.settings)

    def load_preset(self, name: str) -> None:
        try:
            settings = StudioSettings.from_preset(name)
        except Exception as err:  # noqa: BLE001
            self.show_error(str(err))
            return
        self._select(None)
        self.settings = settings
        self._pending_reason = f"Preset “{name}” loaded."
        self.controller.configure(settings)
        self.open_page_for(name)

    def open_page_for(self, preset: str) -> None:
        """Show the page a preset is made for (a page says so through wants_preset), else the studio."""
        for page in self.pages.values():
            if hasattr(page, "wants_preset") and page.wants_preset(preset):
                self.tabs.setCurrentWidget(page)
                return
        self.show_studio()

    def apply_spec(self, spec_or_path) -> None:
        """Train a network spec (dict, JSON text or file) on the current data; errors go to the banner."""
        try:
            spec = read_spec(spec_or_path)
            if spec.get("format") == "neuralviz.preset/1":
                spec = spec["network"]
        except Exception as err:  # noqa: BLE001
            self.show_error(f"Could not read the network spec: {err}")
            return
        self._select(None)
        self.settings = self.settings.with_network(spec).updated(preset="", title=spec.get("name", "custom network"))
        self._pending_reason = "New network spec loaded: fresh weights, counters at zero."
        self.controller.configure(self.settings)

    def _dataset_chosen(self, name: str) -> None:
        old_kind = nvdata.describe(self.settings.dataset)["kind"]
        same_kind = nvdata.describe(name)["kind"] == old_kind
        self._select(None)
        self.change(
            f"dataset “{name}”",
            dataset=name,
            dataset_options={},
            point_edits=[],
            loss=self.settings.loss if same_kind else None,
        )

    def _feature_toggled(self, name: str) -> None:
        feats = list(self.settings.features)
        feats = [f for f in feats if f != name] if name in feats else feats + [name]
        self.change("input features", features=[f for f in nvdata.PLAYGROUND_FEATURES if f in feats])

    def _point_clicked(self, x1: float, x2: float, modifiers) -> None:
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            edit = ["remove", x1, x2]
        else:
            k = (self.info.num_classes if self.info else 2) or 2
            label = self.data_panel.click_label % k
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                label = (label + 1) % k
            edit = ["add", x1, x2, label]
        self.controller.edit_points(edit)

    def _neuron_clicked(self, map_layer: str, unit: int) -> None:
        self._select(None if self.selected == (map_layer, unit) else (map_layer, unit))

    def _select(self, which: tuple[str, int] | None) -> None:
        self.selected = which
        layer, unit = which if which else (None, 0)
        self.network_panel.view.select(layer, unit)
        self.output_panel.select_neuron(layer, unit)

    # ================================================================== worker reports
    def _on_configured(self, info: RunInfo) -> None:
        first = self.info is None or info.serial != self.info.serial
        self.info = info
        self.applied = info.settings.copy()
        self.settings = info.settings.copy()
        self._show_settings(self.settings)
        self.network_panel.view.show_info(info)
        self.output_panel.show_info(info)
        self.data_panel.set_classes(
            info.class_names, [self.theme.class_color(k, info.num_classes or 2) for k in range(len(info.class_names))]
        )
        self.path_label.setText("fused C++ SGD path" if info.fast_path else "layer-by-layer path")
        for page in self.pages.values():
            if hasattr(page, "on_configured"):
                page.on_configured(info)
        if first:
            if self.selected and self.selected[0] not in {c.map_layer for c in info.structure.columns}:
                self._select(None)
            said = [s for s in (self._pending_reason, info.notice) if s]
            if said:
                self.message.show_info(" ".join(said))
                self.statusBar().showMessage(_short(" ".join(said)), 8000)
            self._pending_reason = ""
            self._opening_session = ""
            if self.message.level == "error":
                self.message.clear()  # the error was about a state that is gone now

    def _draw_studio(self, snap: Snapshot) -> None:
        self.network_panel.view.show_snapshot(snap)
        self.output_panel.show_snapshot(snap)

    def _tab_changed(self, index: int) -> None:
        """A page shown after training went on catches up with the latest state at once."""
        page = self.tabs.widget(index)
        if page is self.studio_page:
            if self.latest is not None:
                self._draw_studio(self.latest)
            return
        if self.info is not None and hasattr(page, "on_configured"):
            page.on_configured(self.info)
        if self.latest is not None and hasattr(page, "on_snapshot"):
            page.on_snapshot(self.latest)

    def show_studio(self) -> None:
        self.tabs.setCurrentWidget(self.studio_page)

    def _on_rejected(self, message: str, in_force: StudioSettings | None) -> None:
        self._pending_reason = ""
        if self._opening_session:
            message = f"Could not open the session {self._opening_session}: {message}"
            self._opening_session = ""
        if in_force is not None:
            self.settings = in_force.copy()
            self._show_settings(self.settings)
        self.show_error(
            message + ("  (Nothing changed: the previous setup keeps running.)" if in_force is not None else "")
        )

    def show_error(self, message: str) -> None:
        self.message.show_error(message)
        self.statusBar().showMessage(_short(message), 15000)

    def _show_settings(self, s: StudioSettings) -> None:
        self.hyper.show_settings(s, is_mlp=s.hidden is not None)
        self.data_panel.show_settings(s)
        loss = self.info.loss if self.info is not None else (s.loss or "")
        title = s.title or s.network.get("name", "")
        parts = [title, f"data: {s.dataset}", f"loss: {loss}" if loss else ""]
        self.network_panel.show_settings(s, "  ·  ".join(p for p in parts if p))
        self.setWindowTitle(f"neuralviz studio — {s.title or s.network.get('name', 'network')}")

    # ================================================================== frames
    def render(self, snap: Snapshot) -> None:
        if self.info is None or snap.info.serial != self.info.serial:
            if self.info is None or snap.info.serial > self.info.serial:
                self._on_configured(snap.info)
            else:
                return  # a frame of a run that has been replaced
        self.latest = snap
        self.frames_drawn += 1
        self.controls.show_counters(snap.step, snap.epoch, snap.steps_per_second)
        page = self.tabs.currentWidget()
        if page is self.studio_page or snap.final:  # hidden studio panels are not redrawn
            self._draw_studio(snap)
        if page is not self.studio_page and hasattr(page, "on_snapshot"):
            page.on_snapshot(snap)
        if snap.final and self.on_final is not None:
            self.on_final(snap)

    # ================================================================== files
    def save_session(self, path) -> Path:
        snap = self.latest
        return save_session(
            path, self.settings, snap.params if snap else None, snap.step if snap else 0, snap.epoch if snap else 0.0
        )

    def open_session(self, path) -> None:
        """Open a saved session. The whole file (every settings field, the counters, the weights file) is
        checked before anything changes; a bad one leaves the current run and panels as they are and the
        banner names the file and the field. What only building the run can tell (weights that do not fit
        the network, a dataset folder that is gone) is refused by the worker, which also keeps the
        previous run; the banner then names the session too."""
        try:
            settings, state, meta = load_session(path)
        except Exception as err:  # noqa: BLE001 - every failure is reported, none escapes into Qt
            self.show_error(f"Could not open the session: {err}")
            return
        self.settings = settings
        self._opening_session = Path(path).name
        self._pending_reason = (
            f"Session {Path(path).name} opened (its weights after {meta.get('step', 0):,d} training steps)."
        )
        self.controller.configure(settings, state)

    def export_png(self, path, output_only: bool = False) -> bool:
        widget = self.output_panel.stack.currentWidget() if output_only else self
        return widget.grab().save(str(path), "PNG")

    def _open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", "", "neuralviz sessions (*.json)")
        if path:
            self.open_session(path)

    def _save_session_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save session", "session.json", "neuralviz sessions (*.json)")
        if path:
            try:
                self.save_session(path)
                self.statusBar().showMessage(f"Session saved to {path}", 6000)
            except Exception as err:  # noqa: BLE001
                self.show_error(f"Could not save the session: {err}")

    def _open_spec_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open network spec", "", "Network specs (*.json)")
        if path:
            self.apply_spec(path)

    def _export_dialog(self, output_only: bool) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export as PNG", "neuralviz.png", "PNG images (*.png)")
        if path and not self.export_png(path, output_only):
            self.show_error(f"Could not write {path}")

    # ================================================================== closing
    def closeEvent(self, event) -> None:
        self.controller.shutdown()
        super().closeEvent(event)
