"""FeatureMapPage: the "feature factory" of a convolutional network, live while the studio trains it.

Left: the input (a test image or a drawing, translatable) and the class scores. Centre: the activation
maps of every conv/pool layer for that input, and the learned filters. Right: translation invariance
against a fully connected net, the images that excite a chosen channel, saliency, the confusion matrix.

The page never runs a network in the GUI thread: it posts requests (the latest snapshot's weights and the
chosen input) to its ProbeWorker (in a WorkerHost thread) and draws the answers. It only works while it is
the visible tab (the window calls on_snapshot only then), so a hidden page costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ... import data as nvdata
from ... import presets
from ..common.message_panel import MessagePanel
from ..common.page import Page
from ..common.panels import panel, scrolling, title_label
from ..common.snapshot import RunInfo, Snapshot
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .confusion_view import ConfusionView
from .filters_view import FiltersView
from .input_panel import InputPanel
from .invariance_view import InvarianceView
from .maps_view import MapsView
from .probe import ProbeResult
from .probe_worker import ProbeRequest, ProbeWorker
from .saliency_view import SaliencyView
from .scores_view import ScoresView
from .sign_legend import SignLegend
from .status_text import StatusText
from .sweep import SweepResult
from .top_images import TopImagesView
from .workbench import PageContext, unsupported_reason

HEADLESS_WAIT_S = 30.0  # run_headless: longest wait for the page to catch up after training


def _panel(title: str, *widgets: QWidget) -> QFrame:
    """A titled panel; its first widget takes the room. A long title wraps rather than widen the page."""
    frame = panel(*widgets, title=title, margins=6, spacing=4, stretch=(1,))
    for label in frame.findChildren(QLabel):
        if label.property("role") == "title":
            label.setWordWrap(True)
    return frame


class FeatureMapPage(QWidget, Page):
    TITLE = "Feature maps"

    def __init__(self, window):
        super().__init__()
        self.window = window
        self.theme = window.theme
        self.info: RunInfo | None = None
        self.ctx: PageContext | None = None
        self.snap: Snapshot | None = None
        self.result: ProbeResult | None = None
        self.sweep: SweepResult | None = None
        self.saliency_class: int | None = None
        self.refreshes = 0  # probe results drawn (the benchmark counts these)
        self._requests = 0
        self._confusion_pick: dict[tuple[int, int], int] = {}
        self.host = WorkerHost(ProbeWorker(), "neuralviz-feature-maps", self)
        worker = self.host.worker
        worker.ready.connect(self._on_ready)
        worker.probed.connect(self._on_probed)
        worker.swept.connect(self._on_swept)
        self.host.failed.connect(self._on_failed)
        self._build()
        self.set_theme(self.theme)

    # ================================================================== layout
    def _build(self) -> None:
        t = self.theme
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 4)
        outer.setSpacing(4)
        head = QHBoxLayout()
        self.heading = title_label("Feature maps: what each convolution layer sees")
        self.status = StatusText(self.theme)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(250)
        self._status_timer.timeout.connect(self._show_status)
        head.addWidget(self.heading)
        head.addStretch(1)
        head.addWidget(self.status)
        outer.addLayout(head)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        # errors float over the top of the panels: their appearing moves nothing (common/message_panel.py)
        self.message = MessagePanel()
        self.message.overlay_on(self.stack)
        self.stack.addWidget(self._build_placeholder())
        self.stack.addWidget(self._build_content(t))

    def _build_placeholder(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.addStretch(1)
        self.placeholder_label = QLabel("Load a convolutional network on images to see its feature maps.")
        self.placeholder_label.setWordWrap(True)
        self.placeholder_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.placeholder_label)
        row = QHBoxLayout()
        row.addStretch(1)
        self.preset_buttons = []
        for name in (n for n in presets.names() if self.wants_preset(n)):
            button = QPushButton(f"Load “{name}”")
            button.clicked.connect(lambda _=False, n=name: self.window.load_preset(n))
            row.addWidget(button)
            self.preset_buttons.append(button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(2)
        return box

    def _build_content(self, t) -> QWidget:
        self.input_panel = InputPanel(t)
        self.scores = ScoresView(t)
        self.maps = MapsView(t)
        self.filters = FiltersView(t)
        self.legend = SignLegend(t)
        self.invariance = InvarianceView(t)
        self.top_images = TopImagesView(t)
        self.saliency = SaliencyView(t)
        self.confusion = ConfusionView(t)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(_panel("", self.input_panel))
        left.addWidget(_panel("Class scores", self.scores))
        self.left = left

        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(_panel("Feature maps for this input", scrolling(self.maps), self.legend))
        centre.addWidget(_panel("Learned filters", scrolling(self.filters)))
        self.centre = centre

        self.tabs = QTabWidget()
        for widget, title in (
            # its picture needs its height (images, answers, plot): on a short screen it scrolls
            (scrolling(self.invariance), "Translation"),
            (self.top_images, "Top images"),
            (self.saliency, "Saliency"),
            (self.confusion, "Confusion"),
        ):
            self.tabs.addTab(widget, title)
        right = _panel("", self.tabs)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for w in (left, centre, right):
            self.splitter.addWidget(w)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setChildrenCollapsible(False)

        self.input_panel.changed.connect(self._post)
        self.scores.classClicked.connect(self._class_clicked)
        self.maps.mapClicked.connect(self._map_clicked)
        self.top_images.channelChanged.connect(self.maps.set_selected)
        self.confusion.cellClicked.connect(self._confusion_clicked)
        return self.splitter

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for view in (
            self.status,
            self.input_panel,
            self.scores,
            self.maps,
            self.filters,
            self.legend,
            self.invariance,
            self.top_images,
            self.saliency,
            self.confusion,
        ):
            view.set_theme(theme)
        # large fonts need room for the analysis tabs' text; the mosaics rarely fill their width anyway
        total = max(sum(self.splitter.sizes()), 1200)
        shares = (0.22, 0.40, 0.38) if theme.large_fonts else (0.21, 0.46, 0.33)
        self.splitter.setSizes([int(total * f) for f in shares])
        # the maps are the picture of the page: with large fonts their row titles take more of the column's
        # height, so the filters below (which scroll) give up some of theirs
        height = max(sum(self.centre.sizes()), 920)
        # the class scores need a readable row per class, taller with large fonts
        input_share = 0.56 if theme.large_fonts else 0.62
        self.left.setSizes([int(height * input_share), height - int(height * input_share)])
        maps_share = 0.72 if theme.large_fonts else 0.65
        self.centre.setSizes([int(height * maps_share), height - int(height * maps_share)])

    def wants_preset(self, name: str) -> bool:
        """Image presets whose views include "feature_maps" open on this page."""
        try:
            p = presets.load(name)
            kind = nvdata.describe(p.get("dataset", {}).get("name", ""))["kind"]
        except (ValueError, KeyError):
            return False
        return kind == "image" and "feature_maps" in p.get("views", [])

    def _visible(self) -> bool:
        return self.window.current_page() is self

    def on_configured(self, info: RunInfo) -> None:
        """A new studio configuration: the worker rebuilds its copies (only while this page is shown)."""
        same = self.info is not None and self.info.serial == info.serial
        self.info = info
        reason = unsupported_reason(info)
        if reason:
            self.placeholder_label.setText(
                reason + "\nLoad a convolutional network on images to see its feature maps, for example:"
            )
            self.stack.setCurrentIndex(0)
            self.ctx = None
            return
        if self.ctx is None or self.ctx.serial != info.serial:
            self.stack.setCurrentIndex(1)
            if not same:
                self.status.setText("preparing the network copies…")
        if self._visible():
            # the worker ignores a configuration it already has
            self.host.post(self.host.worker.configure, info)

    def on_snapshot(self, snap: Snapshot) -> None:
        self.snap = snap
        if self.ctx is not None and snap.info.serial == self.ctx.serial:
            self._post()

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        """`neuralviz gui --preset … --train-steps N --screenshot`: the studio trains N steps, then this page
        waits until its views show those weights (and a test-set sweep of them) before done()."""

        def final(snap: Snapshot) -> None:
            started = time.perf_counter()

            def check() -> None:
                caught_up = (
                    self.result is not None
                    and self.result.step == snap.step
                    and self.result.twin_epoch >= snap.epoch - 1e-9  # the FC answer agrees with the curve
                    and self.sweep is not None
                    and self.sweep.step == snap.step
                    and self.sweep.twin_epoch >= snap.epoch - 1e-9
                )
                if caught_up or self.ctx is None or time.perf_counter() - started > HEADLESS_WAIT_S:
                    done()
                else:
                    QTimer.singleShot(50, check)

            check()

        self.window.studio.run_headless(steps, lambda: final(self.window.latest))

    def shown_step(self) -> int:
        return self.result.step if self.result is not None else 0

    # ================================================================== requests and answers
    def _post(self) -> None:
        """Ask the worker for the current input with the latest weights (the newest request wins)."""
        ctx, snap, inputs = self.ctx, self.snap, self.input_panel
        if ctx is None or snap is None or snap.info.serial != ctx.serial or inputs.base is None:
            return
        self._requests += 1
        self._request(
            ProbeRequest(
                serial=ctx.serial,
                step=snap.step,
                epoch=snap.epoch,
                params=snap.params,
                image=inputs.base.copy(),
                shift=inputs.shift,
                saliency_class=self.saliency_class,
                request=self._requests,
                true_label=inputs.true_label,
            )
        )

    def _request(self, req: ProbeRequest) -> None:
        """The newest request wins: the worker takes `pending` when it wakes (older ones are dropped)."""
        self.host.worker.pending = req
        self.host.post(self.host.worker.wake)

    def _on_ready(self, ctx: PageContext) -> None:
        if self.info is None or ctx.serial != self.info.serial:
            return
        self.ctx, self.result, self.sweep = ctx, None, None
        self.saliency_class = None
        self._confusion_pick.clear()
        self.maps.set_context(ctx)
        self.filters.set_context(ctx)
        self.scores.set_classes(ctx.class_names)
        self.saliency.set_classes(ctx.class_names)
        self.confusion.set_classes(ctx.class_names)
        self.invariance.set_context(ctx)
        self.top_images.set_context(ctx)
        self.maps.set_selected(self.top_images.layer, 0)
        self.message.clear()
        self.status.setText("")
        if self.snap is None and self.window.latest is not None:
            self.snap = self.window.latest
        self.input_panel.set_test_set(ctx.test_images, ctx.test_labels, ctx.class_names, ctx.max_shift)

    def _on_probed(self, result: ProbeResult) -> None:
        if self.ctx is None or result.serial != self.ctx.serial:
            return
        if self.result is not None and result.request < self.result.request:
            return
        self.result = result
        self.maps.show_result(result)
        self.filters.show_filters(result.filters)
        self.scores.show_scores(result.probs, result.true_label, self.saliency_class)
        self.saliency.show_result(result)
        self.invariance.show_result(result, result.true_label)
        self.refreshes += 1
        if not self._status_timer.isActive():
            self._show_status()
            self._status_timer.start()

    def _show_status(self) -> None:
        """The step the views show (a few times a second: the text itself need not follow every frame)."""
        r = self.result
        if r is None or self.ctx is None or r.serial != self.ctx.serial:
            self._status_timer.stop()
            return
        k = r.predicted
        text = (
            f"weights of training step {r.step:,d}  ·  prediction “{self.ctx.class_names[k]}” {100 * r.probs[k]:.0f}%"
        )
        self.status.setText(text)
        if self.snap is None or self.snap.step == r.step:
            self._status_timer.stop()  # training paused: nothing will change until the next frame

    def _on_swept(self, sweep: SweepResult) -> None:
        if self.ctx is None or sweep.serial != self.ctx.serial:
            return
        self.sweep = sweep
        self.confusion.show_sweep(sweep)
        self.top_images.show_sweep(sweep)
        self.invariance.show_sweep(sweep)

    def _on_failed(self, message: str) -> None:
        self.message.show_error(message)

    # ================================================================== user actions
    def _class_clicked(self, k: int) -> None:
        self.saliency_class = None if self.saliency_class == k else k
        self.tabs.setCurrentWidget(self.saliency)
        self._post()

    def _map_clicked(self, layer: str, channel: int) -> None:
        self.maps.set_selected(layer, channel)
        self.top_images.select(layer, channel)
        self.tabs.setCurrentWidget(self.top_images)

    def _confusion_clicked(self, true_class: int, predicted: int) -> None:
        """Show a test image of that cell (the next one on each click)."""
        s = self.sweep
        if s is None:
            return
        hits = np.flatnonzero((s.labels == true_class) & (s.predictions == predicted))
        if len(hits) == 0:
            return
        n = self._confusion_pick.get((true_class, predicted), -1) + 1
        self._confusion_pick[(true_class, predicted)] = n
        self.input_panel.show_test(int(hits[n % len(hits)]))

    # ================================================================== lifetime
    def shutdown(self) -> None:
        self.host.shutdown()
