"""StudioPage: the training studio, the window's first tab (a Page like every other tab).

    controls + hyperparameters
    message banner (laid over the top of the panels: showing it moves nothing)
    data panel | network diagram over the loss/accuracy curves | output (decision map, curve, samples)

Nothing has a hard minimum size: the panels compress (the data panel scrolls, the hyperparameters wrap
into more rows) so the window fits a 1024x768 or 1280x720 projector with either font size, and can be
embedded (the lecture presenter shows it without its menus and tabs).

It owns the studio's worker (a TrainingWorker in a WorkerHost thread: the GUI thread never runs a
training step) and its panels. What the user changes in a panel goes to the window (window.change,
load_preset, ...), which owns the settings and the session; the worker's reports come back through the
window, which hands them to every page (on_configured, on_snapshot) and draws them here.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ... import data as nvdata
from ..common.message_panel import MessagePanel
from ..common.page import Page
from ..common.panels import panel, scrolling
from ..common.snapshot import RunInfo, Snapshot
from ..common.theme import Theme
from ..common.user_prefs import UserPrefs
from ..common.worker_host import WorkerHost
from ..settings import StudioSettings
from .controls import ControlsBar
from .data_panel import DataPanel
from .dataset_folder import FolderPicker, dialog_picker, missing_files, missing_message, needs_folder
from .hyper_panel import HyperPanel
from .network_panel import NetworkPanel
from .output_panel import OutputPanel
from .worker import TrainingWorker


class StudioPage(QWidget, Page):
    TITLE = "Studio"

    def __init__(self, window):
        super().__init__()
        self.setObjectName("studioCentral")
        # a QWidget subclass paints its style-sheet background only when asked to (the theme's background)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.window = window
        self.theme: Theme = window.theme
        self.selected: tuple[str, int] | None = None
        self._shown_info: RunInfo | None = None
        self.host = WorkerHost(TrainingWorker(), "neuralviz-training", self)
        # where datasets of the user's own files live; both replaceable (tests use a temporary store and
        # a picker that answers without a dialog)
        self.prefs = UserPrefs()
        self.pick_folder: FolderPicker = dialog_picker
        self._shared = False  # the columns get their shares once the page has its first real size
        self._build(window.theme)
        self._connect()

    # ================================================================== layout
    def _build(self, t: Theme) -> None:
        self.controls = ControlsBar()
        self.hyper = HyperPanel()
        self.data_panel = DataPanel()
        self.network_panel = NetworkPanel(t)
        self.output_panel = OutputPanel(t)
        # a long data panel (large fonts, small screens) scrolls instead of growing the window
        self.side = QWidget()  # the scrolling left column: the data panel (and, large fonts, the hyperparameters)
        self.side_layout = QVBoxLayout(self.side)
        self.side_layout.setContentsMargins(0, 0, 0, 0)
        self.side_layout.addWidget(self.data_panel)
        self.side_layout.addStretch(1)
        self.data_scroll = scrolling(self.side)
        self.curves = self.output_panel.curves
        self.middle = QSplitter(Qt.Orientation.Vertical)  # the diagram over the curves
        self.middle.addWidget(panel(self.network_panel))
        self.middle.addWidget(panel(self.curves, margins=(8, 4, 8, 4)))
        self.middle.setStretchFactor(0, 3)
        self.middle.setStretchFactor(1, 1)
        self.middle.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for w in (panel(self.data_scroll), self.middle, panel(self.output_panel)):
            self.splitter.addWidget(w)
        for i, stretch in enumerate((2, 4, 4)):  # a resized window keeps about the columns' shares
            self.splitter.setStretchFactor(i, stretch)
        self.splitter.setChildrenCollapsible(False)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.splitter)
        # the banner floats over the top of the panels (an overlay): it appearing never shifts the layout
        self.message = MessagePanel(self.body)
        self.message.overlay_on(self.body)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.setSpacing(6)
        self.top = panel(self.controls, self.hyper, margins=6, spacing=2)
        lay.addWidget(self.top)
        lay.addWidget(self.body, 1)

    def _connect(self) -> None:
        w, h = self.window, self.host
        h.playingChanged.connect(self.controls.set_playing)
        self.controls.playClicked.connect(self.toggle_play)
        self.controls.stepClicked.connect(self.step)
        self.controls.resetClicked.connect(self.reset)
        self.controls.speedChanged.connect(h.set_speed)
        h.set_speed(self.controls.speed)

        self.hyper.changed.connect(lambda changes: w.change("", **changes))
        self.hyper.invalid.connect(w.show_error)
        d = self.data_panel
        d.datasetChosen.connect(self._dataset_chosen)
        d.folderClicked.connect(self._folder_clicked)
        d.optionsChanged.connect(lambda opts: w.change("dataset options", dataset_options=opts, point_edits=[]))
        d.featuresChanged.connect(lambda feats: w.change("input features", features=feats))
        d.regenerateClicked.connect(lambda: w.change("data sample", data_seed=w.settings.data_seed + 1, point_edits=[]))
        d.showTestChanged.connect(self.output_panel.set_show_test)
        n = self.network_panel
        n.presetChosen.connect(w.load_preset)
        n.hiddenChanged.connect(lambda sizes: w.change("hidden layers", hidden=sizes))
        n.openSpecClicked.connect(w.open_spec_dialog)
        n.invalid.connect(w.show_error)
        n.view.neuronClicked.connect(self._neuron_clicked)
        n.view.featureToggled.connect(self._feature_toggled)
        self.output_panel.showOutputClicked.connect(lambda: self.select(None))
        self.output_panel.boundary.pointClicked.connect(self._point_clicked)

    # ================================================================== the Page protocol
    def on_configured(self, info: RunInfo) -> None:
        """Show the run now in force (once per RunInfo: the window hands it again when the tab is shown)."""
        if info is self._shown_info:
            return
        first = self._shown_info is None or info.serial != self._shown_info.serial
        self._shown_info = info
        self.network_panel.view.show_info(info)
        self.output_panel.show_info(info)
        self.data_panel.set_classes(
            info.class_names, [self.theme.class_color(k, info.num_classes or 2) for k in range(len(info.class_names))]
        )
        if first and self.selected and self.selected[0] not in {c.map_layer for c in info.structure.columns}:
            self.select(None)

    def on_snapshot(self, snap: Snapshot) -> None:
        self.network_panel.view.show_snapshot(snap)
        self.output_panel.show_snapshot(snap)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._place_hyperparameters(theme.large_fonts)
        self._fit_side_column()
        self.output_panel.set_theme(theme)
        self.network_panel.view.set_theme(theme)
        self._share_width()

    def _place_hyperparameters(self, in_side_column: bool) -> None:
        """Normal fonts: the hyperparameters sit in a row under the play controls (as in the Playground).
        Large fonts: two rows of them there would take the pictures' height (on a 720-pixel projector
        the output map would shrink to a stamp), so they move into the scrolling left column, under the
        data panel, in one or two columns: larger fonts then give larger pictures, not smaller ones."""
        if self.hyper.parentWidget() is (self.side if in_side_column else self.top):
            return
        self.hyper.setParent(None)
        if in_side_column:
            self.side_layout.insertWidget(1, self.hyper)  # under the data panel (the data matters more)
        else:
            self.top.layout().addWidget(self.hyper)
        self.hyper.set_min_columns(1 if in_side_column else 3)
        self.hyper.show()

    def _fit_side_column(self) -> None:
        """The left column is never narrower than its content (it scrolls only vertically)."""
        bar = self.data_scroll.verticalScrollBar().sizeHint().width()
        self.data_scroll.setMinimumWidth(self.side.minimumSizeHint().width() + bar)

    def _share_width(self) -> None:
        """The columns' widths: the output map (what the room looks at) gets the largest share, and with
        large fonts a larger one, taken from the diagram, so pictures grow with the fonts."""
        total = max(sum(self.splitter.sizes()), self.splitter.width(), 600)
        shares = (0.19, 0.38, 0.43) if self.theme.large_fonts else (0.18, 0.44, 0.38)
        self.splitter.setSizes([int(total * f) for f in shares])
        height = max(sum(self.middle.sizes()), self.middle.height(), 300)
        self.middle.setSizes([int(height * 0.68), int(height * 0.32)])

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit_side_column()
        if not self._shared:
            self._shared = True
            self._share_width()

    def trains_itself(self) -> bool:
        return True

    def reset(self) -> None:
        self.window.reset()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """Train `steps` steps at full speed; done() once the frame after them is drawn."""
        self.window.on_final = lambda _snap: done()
        self.host.train_for(steps)

    def shown_step(self) -> int:
        latest = self.window.latest
        return latest.step if latest is not None else 0

    def shutdown(self) -> None:
        self.host.shutdown()

    # ================================================================== commands to the worker
    def configure(self, settings: StudioSettings, state: dict | None = None) -> None:
        """Build a new run (the worker answers configured, or rejected keeping the old run)."""
        self.host.post(self.host.worker.configure, settings.copy(), state)

    def set_live(self, **changes) -> None:
        """Change live settings (learning rate, batch size, ...) keeping the weights."""
        self.host.post(self.host.worker.set_live, dict(changes))

    def restart(self) -> None:
        """Same settings, fresh weights and counters."""
        self.host.post(self.host.worker.reset)

    # ================================================================== what the studio shows
    def show_counters(self, snap: Snapshot) -> None:
        """The step counter and speed (kept current even while another tab is shown)."""
        self.controls.show_counters(snap.step, snap.epoch, snap.steps_per_second)

    def show_settings(self, s: StudioSettings, loss: str) -> None:
        self.hyper.show_settings(s, is_mlp=s.hidden is not None)
        self.data_panel.show_settings(s)
        title = s.title or s.network.get("name", "")
        parts = [title, f"data: {s.dataset}", f"loss: {loss}" if loss else ""]
        self.network_panel.show_settings(s, "  ·  ".join(p for p in parts if p))

    def select(self, which: tuple[str, int] | None) -> None:
        """Highlight one neuron (its map fills the output view), or none (the network's output)."""
        self.selected = which
        layer, unit = which if which else (None, 0)
        self.network_panel.view.select(layer, unit)
        self.output_panel.select_neuron(layer, unit)

    # ================================================================== the user's clicks
    def _dataset_chosen(self, name: str) -> None:
        s = self.window.settings
        options = {}
        if needs_folder(name):
            folder = self._dataset_folder(name, ask=False)
            if not folder:
                self.data_panel.show_settings(s)  # the list shows the dataset still in force
                return
            options = {"path": folder}
        same_kind = nvdata.describe(name)["kind"] == nvdata.describe(s.dataset)["kind"]
        self.select(None)
        self.window.change(
            f"dataset “{name}”",
            dataset=name,
            dataset_options=options,
            point_edits=[],
            loss=s.loss if same_kind else None,
        )

    def _folder_clicked(self) -> None:
        """The data panel's folder button: another folder for the dataset in use."""
        s = self.window.settings
        folder = self._dataset_folder(s.dataset, ask=True)
        if folder and folder != s.dataset_options.get("path"):
            self.window.change("data folder", dataset_options={**s.dataset_options, "path": folder}, point_edits=[])

    def _dataset_folder(self, name: str, ask: bool) -> str:
        """The folder holding `name`'s files: the remembered one while it still holds them (unless ask), else
        the one the user picks now. A folder without the files is refused with a message naming them ('' is
        returned); a good one is remembered for the next time."""
        folder = self.prefs.dataset_folder(name)
        if ask or not folder or missing_files(folder):
            folder = self.pick_folder(self, f"Folder with the {name} IDX files")
            if not folder:
                self.window.show_error(
                    f"{name} is read from your own copy of its files: no folder chosen, the dataset was not changed."
                )
                return ""
        missing = missing_files(folder)
        if missing:
            self.window.show_error(missing_message(name, folder, missing))
            return ""
        self.prefs.remember_dataset_folder(name, folder)
        return folder

    def _feature_toggled(self, name: str) -> None:
        feats = list(self.window.settings.features)
        feats = [f for f in feats if f != name] if name in feats else feats + [name]
        self.window.change("input features", features=[f for f in nvdata.PLAYGROUND_FEATURES if f in feats])

    def _point_clicked(self, x1: float, x2: float, modifiers) -> None:
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            edit = ["remove", x1, x2]
        else:
            info = self.window.info
            k = (info.num_classes if info else 2) or 2
            label = self.data_panel.click_label % k
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                label = (label + 1) % k
            edit = ["add", x1, x2, label]
        self.host.post(self.host.worker.edit_points, edit)

    def _neuron_clicked(self, map_layer: str, unit: int) -> None:
        self.select(None if self.selected == (map_layer, unit) else (map_layer, unit))
