"""ComparisonPage: plain versus natural gradient, side by side, on the studio's current network and data.

Two (or more) copies of the network start from identical weights and take turns on the same minibatches,
each with its own optimizer (default: SGD against K-FAC). The page shows each run's decision map, where
their predictions disagree, their losses on one plot (against steps or wall-clock time), how far each
run's twin in other coordinates drifts away (the invariance experiment), and the Fisher matrix natural
gradient uses, next to its approximations.

The race runs in a LockstepWorker (worker.py) in a WorkerHost thread; this page only sends commands and
draws the frames it gets back. A lecture preset with a "compare" section (natural-gradient.json) sets the runs, their
hyperparameters, the badly scaled inputs and the twin's coordinates.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from ... import presets
from ..common.active_while_shown import ActiveWhileShown
from ..common.message_panel import MessagePanel
from ..common.page import Page
from ..common.panels import panel, scrolling
from ..common.snapshot import RunInfo
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..settings import LIVE_KEYS, StudioSettings
from .config import EXACT_LIMIT, MAX_RUNS, RaceConfig, RunChoice, choice_for
from .difference_view import DifferenceView
from .fisher_view import FisherInspector
from .frames import FisherFrame, RaceFrame, RaceInfo
from .gap_view import GapView
from .loss_view import LossOverlay
from .map_panel import MapPanel
from .problem import describe_transform
from .race_controls import RaceControls
from .run_style import title_css
from .studio_race import StudioRace, offered_transform, race_for
from .worker import LockstepWorker, ProblemSource

ADD_ORDER = ("ng-exact", "qd", "unitwise", "diag", "adam", "momentum", "sgd", "kfac")


# large fonts: the panels' least height in lines of text (below it they scroll: 720 pixels are not enough
# for the race's maps and the Fisher inspector's plots at once)
LARGE_BODY_LINES = 50


def _panel(widget: QWidget) -> QFrame:
    return panel(widget, margins=(8, 6, 8, 6))


def _splitter(orientation, *widgets: QWidget) -> QSplitter:
    splitter = QSplitter(orientation)
    splitter.setChildrenCollapsible(False)
    splitter.setHandleWidth(8)
    for w in widgets:
        splitter.addWidget(w)
    return splitter


def _share(splitter: QSplitter, weights: tuple[int, ...]) -> None:
    """Divide the splitter's room in these proportions (now and when the page is resized)."""
    splitter.setSizes([1000 * w for w in weights])
    for i, w in enumerate(weights):
        splitter.setStretchFactor(i, w)


def _problem_key(s: StudioSettings) -> tuple:
    """What the comparison's problem depends on (the studio's live keys do not restart it)."""
    d = s.to_dict()
    return tuple(sorted((k, repr(v)) for k, v in d.items() if k not in LIVE_KEYS and k != "title"))


class ComparisonPage(ActiveWhileShown, QWidget, Page):
    TITLE = "Plain vs natural"

    def __init__(self, window):
        super().__init__()
        self.window = window
        theme: Theme = window.theme
        self.theme = theme
        self.info: RaceInfo | None = None
        self.latest: RaceFrame | None = None
        self.latest_fisher: FisherFrame | None = None
        self.config: RaceConfig | None = None
        self.playing = False
        self.frames_drawn = 0
        self._studio_info: RunInfo | None = None
        self._studio_key: tuple | None = None
        self._applied_key: tuple | None = None
        self._race: StudioRace | None = None  # what the studio's configuration calls for
        self._offered_transform: dict | None = None  # the bad scaling the inputs menu offers
        self._headless: tuple[int, Callable[[], None]] | None = None
        self._headless_started = False

        self._build_widgets(theme)
        self._start_worker()
        self._connect()
        self.set_theme(theme)

    # ================================================================== layout
    def _build_widgets(self, theme: Theme) -> None:
        self.controls = RaceControls()
        self.message = MessagePanel()
        self.maps: list[MapPanel] = []
        self.maps_box = QHBoxLayout()
        self.maps_box.setSpacing(10)
        self.difference = DifferenceView(theme)
        maps_widget = QWidget()
        maps_lay = QHBoxLayout(maps_widget)
        maps_lay.setContentsMargins(0, 0, 0, 0)
        maps_lay.setSpacing(10)
        maps_lay.addLayout(self.maps_box, 2)
        maps_lay.addWidget(self.difference, 1)
        self.maps_widget = maps_widget
        self.loss = LossOverlay(theme)
        self.gap = GapView(theme)
        self.inspector = FisherInspector(theme)

        # splitters: the room between the panels follows set shares (and the lecturer's dragging)
        self.left = _splitter(Qt.Orientation.Vertical, _panel(maps_widget), _panel(self.inspector))
        self.right = _splitter(Qt.Orientation.Vertical, _panel(self.loss), _panel(self.gap))
        self.body = _splitter(Qt.Orientation.Horizontal, self.left, self.right)
        _share(self.right, (11, 10))
        _share(self.body, (13, 8))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.setSpacing(6)
        lay.addWidget(_panel(self.controls))
        # with large fonts on a short screen the panels scroll rather than squeeze the maps to stamps
        # (set_theme gives the body its least height)
        self.body_scroll = scrolling(self.body)
        lay.addWidget(self.body_scroll, 1)
        self.message.overlay_on(self.body_scroll)  # over the panels' top edge: appearing moves nothing

    def _set_run_count(self, count: int) -> None:
        """One map panel per run (rebuilt only when the number of runs changes)."""
        while len(self.maps) > count:
            panel = self.maps.pop()
            self.maps_box.removeWidget(panel)
            panel.deleteLater()
        while len(self.maps) < count:
            panel = MapPanel(self.theme, len(self.maps))
            self.maps_box.addWidget(panel, 1)
            self.maps.append(panel)

    def _start_worker(self) -> None:
        self.host = WorkerHost(LockstepWorker(), "neuralviz-comparison", self)
        self.worker = w = self.host.worker
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self._on_failed)
        self.host.playingChanged.connect(self._on_playing)
        w.fisherReady.connect(self._on_fisher)
        w.configured.connect(self._on_race_configured)
        w.targetReached.connect(self._on_target_reached)

    def _post(self, fn, *args) -> None:
        self.host.post(fn, *args)

    def _connect(self) -> None:
        c = self.controls
        c.playClicked.connect(self.toggle_play)
        c.stepClicked.connect(self.step)
        c.resetClicked.connect(self.restart)
        c.speedChanged.connect(self.host.set_speed)
        c.optimizerChosen.connect(self.choose_optimizer)
        c.lrChanged.connect(self.set_lr)
        c.addRunClicked.connect(self.add_run)
        c.removeRunClicked.connect(self.remove_run)
        c.dampingChanged.connect(self.set_damping)
        c.fisherChanged.connect(lambda f: self._set_shared(fisher=f))
        c.normalizeChanged.connect(lambda on: self._set_shared(normalize=bool(on)))
        c.scalingChanged.connect(self.set_scaled)
        c.reparamChanged.connect(self.set_reparam)
        self.inspector.runChosen.connect(self.inspect)

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(title_css(theme))
        self.body.setMinimumHeight(int(theme.font_pt * LARGE_BODY_LINES) if theme.large_fonts else 0)
        self._share_left()
        for view in (*self.maps, self.difference, self.loss, self.gap, self.inspector):
            view.set_theme(theme)

    def _share_left(self) -> None:
        """Maps above, inspector below: without a picture of the function (images, sequences) the
        inspector gets the room; else the maps get a little more (with large fonts their titles take
        more of it; the inspector's plots keep their own minimum height)."""
        if self.info is not None and not self.info.problem.has_map:
            _share(self.left, (2, 10))
        else:
            _share(self.left, (14, 10) if self.theme.large_fonts else (11, 10))

    def wants_preset(self, name: str) -> bool:
        try:
            return "comparison" in presets.load(name).get("views", [])
        except ValueError:
            return False

    def on_configured(self, info: RunInfo) -> None:
        """The studio's configuration changed (or the tab was shown): compare what it trains."""
        key = _problem_key(info.settings)
        self._studio_info = info
        if key == self._studio_key:
            return
        self._studio_key = key
        if self.isVisible() or self._headless is not None:
            self._apply_studio()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """Race `steps` steps at full speed, then call done() (for `neuralviz gui --screenshot`)."""
        self._headless = (max(0, int(steps)), done)
        self._headless_started = False
        if self._studio_info is not None and self._applied_key != self._studio_key:
            self._apply_studio()
        elif self.info is not None:
            self._start_headless()

    def shown_step(self) -> int:
        return self.latest.step if self.latest is not None else 0

    def activate(self) -> None:
        """Shown: race what the studio trains now, if that changed while the page was hidden."""
        if self._studio_info is not None and self._applied_key != self._studio_key:
            self._apply_studio()

    def deactivate(self) -> None:
        if self.playing and self._headless is None:
            self.pause()  # a hidden race would only take the CPU from the studio

    def trains_itself(self) -> bool:
        return True

    def reset(self) -> None:
        self.restart()

    # ================================================================== commands
    def play(self) -> None:
        self.host.play()

    def pause(self) -> None:
        self.host.pause()

    def train_for(self, steps: int) -> None:
        self.host.train_for(steps)

    def restart(self) -> None:
        """Same runs, fresh shared weights, counters at zero."""
        if self.config is not None and self._studio_info is not None:
            self._post(self.worker.configure, self._source(), self.config)

    def choose_optimizer(self, index: int, name: str) -> None:
        if self.config is None:
            return
        self.config = self.config.with_run(index, choice_for(name, self._race.hyperparameters))
        self.restart()

    def set_lr(self, index: int, lr: float) -> None:
        if self.config is None or index >= len(self.config.runs):
            return
        run = self.config.runs[index]
        self.config = self.config.with_run(index, RunChoice(run.name, float(lr), run.extra))
        self._post(self.worker.set_lr, index, float(lr))

    def add_run(self) -> None:
        if self.config is None or len(self.config.runs) >= MAX_RUNS:
            return
        used = {r.name for r in self.config.runs}
        allowed = self.info is None or self.info.exact_allowed
        name = next(n for n in ADD_ORDER if n not in used and (n != "ng-exact" or allowed))
        self.config = self.config.replace(runs=self.config.runs + (choice_for(name, self._race.hyperparameters),))
        self.restart()

    def remove_run(self) -> None:
        if self.config is None or len(self.config.runs) <= 2:
            return
        self.config = self.config.replace(runs=self.config.runs[:-1])
        self.restart()

    def set_damping(self, damping: float) -> None:
        if self.config is None:
            return
        self.config = self.config.replace(damping=float(damping))
        self._post(self.worker.set_damping, float(damping))

    def _set_shared(self, **changes) -> None:
        if self.config is None:
            return
        self.config = self.config.replace(**changes)
        self._post(self.worker.set_shared, dict(changes))

    def set_fisher(self, fisher: str) -> None:
        self._set_shared(fisher=fisher)

    def set_normalize(self, on: bool) -> None:
        self._set_shared(normalize=bool(on))

    def set_scaled(self, on: bool) -> None:
        if self.config is not None:
            self.config = self.config.replace(scaled=bool(on))
            self.restart()

    def set_reparam(self, key: str) -> None:
        if self.config is not None:
            self.config = self.config.replace(reparam=key)
            self.restart()

    def inspect(self, index: int) -> None:
        self._post(self.worker.inspect, int(index))

    # ================================================================== the studio's problem
    def _apply_studio(self) -> None:
        info = self._studio_info
        preset = info.settings.preset or ""
        if self._race is None or preset != self._race.preset:
            # a new preset (or the first race) brings its own runs; otherwise the user's runs stay
            self._race = race_for(info)
            self.config = self._race.config
            self.controls.set_speed(self._race.speed)
            self.host.set_speed(self._race.speed)
            self.loss.set_target(self._race.target)
        self._offered_transform = offered_transform(self._race, info)
        self._applied_key = self._studio_key
        self._post(self.worker.configure, self._source(), self.config)

    def _source(self) -> ProblemSource:
        transform = self._offered_transform if self.config.scaled else None
        return ProblemSource(self._studio_info.settings.copy(), transform, self._race.batch_size)

    # ================================================================== worker reports
    def _on_race_configured(self, info: RaceInfo) -> None:
        self.info = info
        self.config = info.config
        offered = self._offered_transform
        names = info.problem.feature_names or ("x1", "x2")
        self.controls.set_scaling_choice(describe_transform(offered, names) if offered else None)
        self.controls.show_config(info.config, info)
        self._set_run_count(len(info.labels))
        for map_panel in self.maps:
            map_panel.show_info(info)
        self.difference.show_info(info)
        self._share_left()
        self.inspector.show_info(info)
        said = [info.notice] if info.notice else []
        if info.problem.parameters > EXACT_LIMIT:
            said.append(
                f"This network has {info.problem.parameters:,d} parameters: exact natural gradient "
                f"(a dense P × P Fisher, solved every step) is switched off above {EXACT_LIMIT:,d}; "
                "K-FAC and the quasi-diagonal method approximate it."
            )
        if said:
            self.message.show_info(" ".join(said), seconds=30.0)
        elif self.message.level == "error":
            self.message.clear()
        if self._headless is not None and not self._headless_started:
            self._start_headless()

    def _start_headless(self) -> None:
        self._headless_started = True
        self.host.train_for(self._headless[0])

    def _on_frame(self, frame: RaceFrame) -> None:
        """Draw a frame (the host tells the worker when it is shown, so frames never queue up)."""
        if self.info is not None and frame.info.serial < self.info.serial:
            return  # a frame of a race that has been replaced
        self.latest = frame
        self.frames_drawn += 1
        self.controls.show_step(frame.step)
        for view, trace in zip(self.maps, frame.runs):
            loss = trace.loss[-1] if len(trace.loss) else float("nan")
            acc = f" · accuracy {100 * trace.accuracy:.0f}%" if trace.accuracy is not None else ""
            view.show_trace(trace, f"loss {loss:.3g}{acc}")
        self.difference.show_frame(frame)
        self.loss.show_frame(frame)
        self.gap.show_frame(frame)

    def _on_fisher(self, fisher: FisherFrame) -> None:
        self.latest_fisher = fisher
        self.inspector.show_fisher(fisher)

    def _on_failed(self, message: str) -> None:
        self.message.show_error(message)
        if self.latest is not None:  # a refused change: the controls show what is still in force
            self.config = self.latest.info.config
            self.controls.show_config(self.config, self.latest.info)
        if self._headless is not None and self._headless_started:
            self._finish_headless()
        elif self._headless is not None and self.info is None:
            self._finish_headless()

    def _on_playing(self, playing: bool) -> None:
        self.playing = playing
        self.controls.set_playing(playing)

    def _on_target_reached(self) -> None:
        if self._headless is not None:
            self._finish_headless()

    def _finish_headless(self) -> None:
        _, done = self._headless
        self._headless = None
        QTimer.singleShot(0, done)

    # ================================================================== closing
    def shutdown(self) -> None:
        """Stop the race and its thread (waits for the current step to finish)."""
        self.host.shutdown()
