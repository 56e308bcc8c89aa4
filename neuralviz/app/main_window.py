"""MainWindow: the tabs (the studio first, then the pages of pages.py), the menus, the theme, and the
user's settings and sessions.

Flow of a change: a studio panel emits what the user changed -> the window updates its StudioSettings and
sends them to the studio's worker (live keys keep the weights, others rebuild) -> the worker answers
`configured` with the run now in force (the panels then show exactly that) or `rejected` with the reason
(shown in the message banner; the previous run keeps training, nothing the user had is lost).

The window talks to its tabs through the Page protocol only (common/page.py): every report of the studio's
worker goes to every page (on_configured) or to the visible one (on_snapshot), and the Play / Step / Reset
keys go to the visible page when it trains on its own, else to the studio.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtGui import QAction, QFontMetrics, QKeySequence, QShortcut
from PyQt6.QtWidgets import QApplication, QFileDialog, QLabel, QMainWindow, QTabWidget

from ..spec import read_spec
from .backend_switch import BackendSwitch
from .common.page import Page
from .common.plot_style import configure_pyqtgraph
from .common.snapshot import RunInfo, Snapshot
from .common.theme import Theme, make_theme, stylesheet
from .pages import load_pages
from .session import load_session, save_session
from .settings import DEFAULT_PRESET, LIVE_KEYS, StudioSettings
from .studio.page import StudioPage


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
        self.frames_drawn = 0
        self.on_final: Callable[[Snapshot], None] | None = None  # used by `neuralviz gui --screenshot`
        self._pending_reason = ""
        self._opening_session = ""  # name of a session whose run the worker has not confirmed yet

        self._build_widgets()
        self._build_menus()
        self._connect()
        self.apply_theme(self.theme)
        self.resize(1600, 1000)
        self._show_settings(self.settings)
        self.studio.configure(self.settings)

    # ================================================================== layout
    def _build_widgets(self) -> None:
        self.studio = StudioPage(self)
        # the studio's panels and worker, as scripts, tests and benchmarks know them
        s = self.studio
        self.controller, self.controls, self.hyper, self.data_panel = s.host, s.controls, s.hyper, s.data_panel
        self.network_panel, self.output_panel, self.message = s.network_panel, s.output_panel, s.message
        self.studio_page = s
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(s, s.title())
        self.pages: dict[str, Page] = {}
        for page in load_pages(self):
            self.pages[page.title()] = page
            self.tabs.addTab(page, page.title())
        self._current: Page = s
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
            ("Open network &spec…", None, self.open_spec_dialog),
            ("Export &output view as PNG…", None, lambda: self._export_dialog(True)),
            ("&Export window as PNG…", "Ctrl+E", lambda: self._export_dialog(False)),
            ("Export to &PyTorch / ONNX…", None, self._export_torch_dialog),
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
            ("Play / pause", "Space", lambda: self._training_page().toggle_play()),
            ("Step", "S", lambda: self._training_page().step()),
            ("Reset", "R", lambda: self._training_page().reset()),
        ):
            action = QAction(f"{text}\t{keys}", self)
            action.triggered.connect(slot)
            train.addAction(action)
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(slot)
        QShortcut(QKeySequence("Right"), self).activated.connect(lambda: self._training_page().step())
        train.addSeparator()
        self.backend_switch = BackendSwitch(train, self, lambda text: self.statusBar().showMessage(text, 8000))
        self.statusBar().addPermanentWidget(self.backend_switch.badge)

    def current_page(self) -> Page:
        return self.tabs.currentWidget()

    def all_pages(self) -> list[Page]:
        return [self.studio, *self.pages.values()]

    def _training_page(self) -> Page:
        """Keyboard play/step/reset go to the visible page when it trains on its own (the comparison
        race), else to the studio."""
        page = self.current_page()
        return page if page.trains_itself() else self.studio

    def _connect(self) -> None:
        """The studio worker's reports: the window keeps the state and hands it to the pages."""
        host = self.studio.host
        host.frameReady.connect(self.render)
        host.failed.connect(self.show_error)
        host.worker.configured.connect(self._on_configured)
        host.worker.rejected.connect(self._on_rejected)

    # ================================================================== theme
    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        app = QApplication.instance()
        font = app.font()
        font.setPointSizeF(theme.font_pt)
        app.setFont(font)
        self.setFont(font)
        self.setStyleSheet(stylesheet(theme))
        self.path_label.setMinimumWidth(QFontMetrics(font).horizontalAdvance("fused C++ SGD path") + 24)
        for page in self.all_pages():
            page.set_theme(theme)
        if self.latest is not None:
            self.render(self.latest)

    def _theme_toggled(self) -> None:
        self.apply_theme(make_theme(self.large_fonts_action.isChecked(), self.high_contrast_action.isChecked()))

    # ================================================================== commands
    def toggle_play(self) -> None:
        self.studio.host.toggle_play()

    def play(self) -> None:
        self.studio.host.play()

    def pause(self) -> None:
        self.studio.host.pause()

    def step(self) -> None:
        self.studio.host.step()

    def reset(self) -> None:
        self._pending_reason = "Reset: the weights are back at their initial values, the counters at zero."
        self.studio.restart()

    def train_steps(self, steps: int) -> None:
        """Train `steps` steps as fast as possible, then pause (the frame after it has .final set)."""
        self.studio.host.train_for(steps)

    def change(self, reason: str, **changes) -> None:
        """Apply a user change: live keys keep the weights; anything else rebuilds the run."""
        if "seed" in changes:
            changes["data_seed"] = changes["seed"]  # one seed: weights, data and minibatch order
        if "dataset" in changes and changes["dataset"] != self.settings.dataset and "title" not in changes:
            # a preset's title names its data ("XOR with a small MLP"): on other data it would be stale,
            # so the headline falls back to the network's name (the data is named beside it)
            changes["title"] = ""
        self.settings = self.settings.updated(**changes)
        if set(changes) <= LIVE_KEYS:
            self.studio.set_live(**changes)
            said = ", ".join(f"{k.replace('_', ' ')} → {v}" for k, v in changes.items())
            self.statusBar().showMessage(f"{said}: applied to the running training, weights kept", 5000)
            return
        what = reason or ", ".join(f"{k.replace('_', ' ')} → {v}" for k, v in changes.items())
        self._pending_reason = f"Rebuilt for the new {what}: fresh weights, counters at zero."
        self.studio.configure(self.settings)

    def load_preset(self, name: str) -> None:
        try:
            settings = StudioSettings.from_preset(name)
        except Exception as err:  # noqa: BLE001
            self.show_error(str(err))
            return
        self.studio.select(None)
        self.settings = settings
        self._pending_reason = f"Preset “{name}” loaded."
        self.studio.configure(settings)
        self.open_page_for(name)

    def open_page_for(self, preset: str) -> None:
        """Show the page a preset is made for (a page says so through wants_preset), else the studio."""
        for page in self.pages.values():
            if page.wants_preset(preset):
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
        self.studio.select(None)
        self.settings = self.settings.with_network(spec).updated(preset="", title=spec.get("name", "custom network"))
        self._pending_reason = "New network spec loaded: fresh weights, counters at zero."
        self.studio.configure(self.settings)

    # ================================================================== worker reports
    def _on_configured(self, info: RunInfo) -> None:
        first = self.info is None or info.serial != self.info.serial
        self.info = info
        self.applied = info.settings.copy()
        self.settings = info.settings.copy()
        self._show_settings(self.settings)
        self.path_label.setText("fused C++ SGD path" if info.fast_path else "layer-by-layer path")
        self.path_label.setToolTip(f"Training path: {info.path_reason}")
        for page in self.all_pages():
            page.on_configured(info)
        if first:
            said = [s for s in (self._pending_reason, info.notice) if s]
            if said:
                self.message.show_info(" ".join(said))
                self.statusBar().showMessage(_short(" ".join(said)), 8000)
            self._pending_reason = ""
            self._opening_session = ""
            if self.message.level == "error":
                self.message.clear()  # the error was about a state that is gone now

    def _tab_changed(self, index: int) -> None:
        """A page shown after training went on catches up with the latest state at once."""
        self._current.deactivate()
        page = self._current = self.tabs.widget(index)
        if self.info is not None:
            page.on_configured(self.info)
        if self.latest is not None:
            page.on_snapshot(self.latest)
        page.activate()

    def show_studio(self) -> None:
        self.tabs.setCurrentWidget(self.studio)

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
        self.studio.show_settings(s, self.info.loss if self.info is not None else (s.loss or ""))
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
        self.studio.show_counters(snap)
        page = self.current_page()
        if page is not self.studio and snap.final:  # otherwise hidden studio panels are not redrawn
            self.studio.on_snapshot(snap)
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
        self.studio.configure(settings, state)

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

    def open_spec_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open network spec", "", "Network specs (*.json)")
        if path:
            self.apply_spec(path)

    def _export_dialog(self, output_only: bool) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export as PNG", "neuralviz.png", "PNG images (*.png)")
        if path and not self.export_png(path, output_only):
            self.show_error(f"Could not write {path}")

    def export_torch(self, folder) -> dict:
        """The studio's network as it stands now (weights of the last frame) written to `folder`: a standalone
        PyTorch training script, the weights (.nvz) and, with onnx installed, an ONNX file (neuralviz.export)."""
        from ..export import write_bundle
        from ..network import Network

        net = Network.from_spec(self.settings.network)
        if self.latest is not None and self.latest.params:
            net.load_state_dict(dict(self.latest.params))
        return write_bundle(net, self.settings.preset or None, folder)

    def _export_torch_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to PyTorch / ONNX: choose a folder")
        if not folder:
            return
        try:
            written = self.export_torch(folder)
        except Exception as err:  # noqa: BLE001 - torch missing, a layer with no mapping: shown, never raised into Qt
            self.show_error(f"Could not export: {err}")
            return
        self.statusBar().showMessage("Wrote " + ", ".join(Path(p).name for p in written.values()), 8000)

    # ================================================================== closing
    def closeEvent(self, event) -> None:
        for page in self.all_pages():
            page.shutdown()
        super().closeEvent(event)
