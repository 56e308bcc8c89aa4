"""GanPage: a GAN on 2-D points, GAN Lab's way (poloclub/ganlab): one large square view of the game.

The view (plane_view.py) layers D's map (green: D says "real", purple: "fake"), the real points, the points G
makes from a fixed batch of noise (they glide as G learns), G's manifold and the arrows of G's loss, each
switchable. Beside it: step both nets, D only or G only; slow motion, which tells each step in numbered
sub-steps; k (D steps per G step) and the two learning rates; the data (ring, grid, moons, the collapse twin,
or your own drawing: drag on the plane); D's and G's losses; and, for the ring and the grid, how many modes
the generated points cover (metrics.mode_coverage). Training runs in the page's WorkerHost thread.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpacerItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ... import presets
from ..common.elided_label import ElidedLabel
from ..common.panels import panel
from ..common.preset_page import preset_picker
from ..common.self_training import SelfTrainingPresetPage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..common.wrap_bar import group, wrap_bar
from ..editor.spec_dialog import edit_spec
from .frames import GanFrame
from .loss_view import GanLossView
from .plane_view import ARROW, FAKE, LAYERS, REAL, GanPlaneView
from .scroll_column import ScrollColumn
from .worker import GanWorker

DEFAULT_PRESET = "gan-ring"
RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
G_LOSSES = (
    ("non_saturating", "non-saturating: −log D(G(z))"),
    ("saturating", "saturating: log(1 − D(G(z)))"),
    ("least_squares", "least squares: (D(G(z)) − 1)²"),
)
HINT = "Press Play. Slow motion tells one step at a time."
DRAW_HINT = "Drag on the plane to draw the real data."


def plane_presets() -> list[tuple[str, str]]:
    """(name, title) of the GAN presets on 2-D points, gan-ring first (the others by name)."""
    found = presets.titles(lambda p: (p.get("data") or {}).get("source") not in (None, "dataset"), kind="gan")
    return sorted(found, key=lambda item: (item[0] != DEFAULT_PRESET, item[0]))


def shape_text(spec: dict, letter: str) -> str:
    """A network spec as its widths, "G: 2 → 64 → 64 → 2 (relu)": what the two players are, in one line."""
    sizes = [str(spec.get("input_shape", ["?"])[0])]
    acts = []
    for layer in spec.get("layers", []):
        if layer.get("type") == "dense":
            sizes.append(str(layer.get("units", "?")))
        elif layer.get("type") not in acts:
            acts.append(str(layer.get("type")))
    return f"{letter}: {' → '.join(sizes)}" + (f" ({', '.join(acts)})" if acts else "")


def legend_html() -> str:
    """The view's legend in plain words, each colour named where it is used."""
    return (
        f"<span style='color:{REAL}'><b>green</b></span>: D says “real” · "
        f"<span style='color:{FAKE}'><b>purple</b></span>: D says “fake”<br>"
        f"<span style='color:{REAL}'>●</span> real data · <span style='color:{FAKE}'>●</span> made by G · "
        f"<span style='color:{FAKE}'>▦</span> G's manifold<br>"
        f"<span style='color:{ARROW}'><b>→</b></span> where G's loss pushes each fake point"
    )


class GanPage(SelfTrainingPresetPage, QWidget):
    TITLE = "GAN (2-D)"

    def __init__(self, window):
        super().__init__()
        self._set_up(window, WorkerHost(GanWorker(), "neuralviz-gan"))
        self.seed = 0
        self.loaded: str | None = None
        self.networks: dict[str, dict] = {}  # the players' specs: the preset's, or as edited (Edit G… / Edit D…)
        self.plane = GanPlaneView(self.theme)
        self.losses = GanLossView(self.theme)
        self._build()
        self.message.overlay_on(self)
        self._connect()
        self.set_theme(self.theme)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.picker = preset_picker(plane_presets(), min_chars=16)
        self._key_buttons()
        self.step_button.setToolTip("k D steps, then one G step")
        self.d_button = QPushButton("Train D")
        self.d_button.setToolTip("One step of the discriminator alone: its map moves, the points do not")
        self.g_button = QPushButton("Train G")
        self.g_button.setToolTip("One step of the generator alone: the points move along the arrows")
        self.slow = QCheckBox("Slow motion")
        self.slow.setToolTip("Play tells each step in numbered sub-steps")
        self.caption = QLabel(HINT)
        self.caption.setWordWrap(True)
        # the side column's texts do not wrap: a word-wrapped label makes the scrolling column size itself by
        # its height-for-width, which counts the loss plot at its (tall) size hint and always scrolls
        self.legend = QLabel(legend_html())
        self.layer_boxes = {name: QCheckBox(label) for name, label in LAYERS.items()}
        for box in self.layer_boxes.values():
            box.setChecked(True)
        self.k = QSpinBox()
        self.k.setRange(0, 10)
        self.k.setToolTip("D steps per G step")
        self.lr_g, self.lr_d = QComboBox(), QComboBox()
        for box in (self.lr_g, self.lr_d):
            for r in RATES:
                box.addItem(f"{r:g}", r)
        self.loss = QComboBox()
        for key, label in G_LOSSES:
            self.loss.addItem(label, key)
        self.loss.setToolTip("The saturating loss gives G almost no gradient once D rejects its points")
        self.clear_button = QPushButton("Clear drawing")
        self.nets = ElidedLabel()  # a deeper preset's widths are cut with "…" (whole in the tooltip)
        self.nets.setProperty("role", "hint")
        self.edit_g, self.edit_d = QPushButton("Edit G…"), QPushButton("Edit D…")
        self.edit_g.setToolTip("The generator on the Architecture editor's canvas: layers, widths (restarts at step 0)")
        self.edit_d.setToolTip(
            "The discriminator on the Architecture editor's canvas: layers, widths (restarts at step 0)"
        )
        self.coverage = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.setSpacing(6)
        lay.addWidget(panel(self._bar(), margins=(8, 4, 8, 4)))
        body = QHBoxLayout()
        body.addWidget(panel(self.caption, self.plane, margins=6, stretch=(0, 1)), 3)
        body.addWidget(self._side(), 2)
        lay.addLayout(body, 1)

    def _bar(self) -> QWidget:
        return wrap_bar(
            group("Data:", self.picker),
            group(self.play_button, self.step_button, self.d_button, self.g_button, self.reset_button),
            group(self.slow, self.status),
        )

    def _side(self) -> ScrollColumn:
        """The side column, compact enough for 1024 x 768 with large fonts; it scrolls where it still cannot fit
        (a smaller screen) instead of pushing the window off the screen."""
        layers = QWidget()
        grid = QGridLayout(layers)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, box in enumerate([*self.layer_boxes.values(), self.clear_button]):  # the drawing's button: a free cell
            grid.addWidget(box, i // 3, i % 3)
        rates = QHBoxLayout()
        for letter, box in (("G", self.lr_g), ("D", self.lr_d)):
            rates.addWidget(QLabel(letter))
            rates.addWidget(box)
        rates.addStretch(1)
        game = QWidget()
        form = QGridLayout(game)
        form.setContentsMargins(0, 0, 0, 0)
        form.addWidget(QLabel("D steps per G step (k):"), 0, 0)
        form.addWidget(self.k, 0, 1)
        form.addWidget(QLabel("Learning rates:"), 1, 0)
        form.addLayout(rates, 1, 1)
        form.addWidget(QLabel("G's loss:"), 2, 0)
        form.addWidget(self.loss, 2, 1)
        form.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding), 0, 2)  # the boxes at their own width
        side = QWidget()
        col = QVBoxLayout(side)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(6)
        col.addWidget(panel(self.legend, layers, title="What you see", margins=6))
        nets = group(self.edit_g, self.edit_d)
        col.addWidget(panel(self.nets, nets, game, self.coverage, title="The game", margins=6))
        # no title: the plot's legend names its curves (D loss, G loss), and the line is worth more on 720 pixels
        col.addWidget(panel(self.losses, margins=6, stretch=(1,)), 1)
        return ScrollColumn(side)

    def _connect(self) -> None:
        w = self.host.worker
        self.host.frameReady.connect(self._on_frame)
        self.host.failed.connect(self.message.show_error)
        self.picker.currentIndexChanged.connect(lambda _: self._load_chosen() if self.loaded is not None else None)
        self.d_button.clicked.connect(lambda: self.host.post(w.step_d))
        self.g_button.clicked.connect(lambda: self.host.post(w.step_g))
        self.slow.toggled.connect(lambda on: self.host.post(w.set_slow, bool(on)))
        self.k.valueChanged.connect(lambda k: self.host.post(w.set_k_d, int(k)))
        self.lr_g.currentIndexChanged.connect(lambda _: self.host.post(w.set_lr, self.lr_g.currentData(), None))
        self.lr_d.currentIndexChanged.connect(lambda _: self.host.post(w.set_lr, None, self.lr_d.currentData()))
        self.loss.currentIndexChanged.connect(lambda _: self.host.post(w.set_loss, self.loss.currentData()))
        for name, box in self.layer_boxes.items():
            box.toggled.connect(lambda on, name=name: self.plane.set_layer(name, on))
        self.plane.pointsDrawn.connect(lambda pts: self.host.post(w.set_points, np.asarray(pts).tolist()))
        self.clear_button.clicked.connect(self.plane.clear_drawing)
        self.edit_g.clicked.connect(lambda: self.edit_network("generator"))
        self.edit_d.clicked.connect(lambda: self.edit_network("discriminator"))

    # ------------------------------------------------------------------ the run
    def _load_chosen(self) -> None:
        name = self.picker.currentData()
        if name is None:
            self.message.show_error("No GAN preset on 2-D points is installed (assets/presets/gan-*.json).")
            return
        try:
            preset = presets.load(name)
        except ValueError as err:  # a broken preset file: say so, keep the run shown
            self.message.show_error(str(err))
            return
        self.loaded = name
        self.frame = None
        data = preset.get("data") or {}
        drawing = data.get("source") == "points"
        self.plane.set_drawing(drawing, data.get("points") or [])
        self.clear_button.setVisible(drawing)
        self._show_settings(preset.get("training") or {})
        self.networks = {key: preset.get(key) or {} for key in ("generator", "discriminator")}
        self._show_nets()
        self.caption.setText(DRAW_HINT if drawing else HINT)
        self.host.post(self.host.worker.configure, name, self.seed)

    def _show_nets(self) -> None:
        self.nets.setText(
            shape_text(self.networks["generator"], "G") + " · " + shape_text(self.networks["discriminator"], "D")
        )

    def edit_network(self, key: str) -> bool:
        """The player's spec on the editor's canvas (modal); on OK the worker thread rebuilds the game with it."""
        if not self.networks.get(key):
            return False
        sample = tuple(self.networks["discriminator"].get("input_shape") or (2,))  # D reads a sample
        title, output = ("Generator G", sample) if key == "generator" else ("Discriminator D", (1,))
        self.host.pause()
        edited = edit_spec(self, self.networks[key], title, self.theme, required_output=output)
        if edited is None:
            return False
        self.networks[key] = edited
        self._show_nets()
        self.frame = None
        self.host.post(self.host.worker.set_networks, self.networks["generator"], self.networks["discriminator"])
        return True

    def _show_settings(self, training: dict) -> None:
        """The preset's k and rates in the boxes, without sending them back to the worker."""
        for box, value in ((self.lr_g, training.get("lr_g", 1e-3)), (self.lr_d, training.get("lr_d", 1e-3))):
            box.blockSignals(True)
            i = box.findData(value)
            if i < 0:
                box.addItem(f"{value:g}", value)
                i = box.count() - 1
            box.setCurrentIndex(i)
            box.blockSignals(False)
        self.k.blockSignals(True)
        self.k.setValue(int(training.get("k_d", 1)))
        self.k.blockSignals(False)
        self.loss.blockSignals(True)
        self.loss.setCurrentIndex(max(0, self.loss.findData(training.get("loss", "non_saturating"))))
        self.loss.blockSignals(False)

    def _on_frame(self, frame: GanFrame) -> None:
        self.frame = frame
        self.plane.show_frame(frame)
        self.losses.show_frame(frame)
        rate = f" · {frame.steps_per_second:,.0f} steps/s" if frame.playing and frame.steps_per_second else ""
        self.status.setText(f"step {frame.step:,}{rate}")
        if frame.phase:
            who = "D's step" if frame.phase_side == "D" else "G's step"
            number, text = frame.phase.split(maxsplit=1)
            self.caption.setText(f"<b>{who}, {number} of 5:</b> {text}")
        elif self.slow.isChecked():
            self.caption.setText("Slow motion: press Play to follow one step at a time.")
        self.coverage.setText(coverage_text(frame.coverage))
        if frame.final:
            self._finish_headless()

    # ================================================================== the Page protocol
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.plane.set_theme(theme)
        self.losses.set_theme(theme)
        big = self.font()
        big.setPointSizeF(theme.font_pt + 2)
        self.caption.setFont(big)
        self.coverage.setFont(big)

    def _reload(self) -> None:
        self.host.post(self.host.worker.configure, self.loaded, self.seed)
        if self.networks:  # Reset keeps the players as edited
            self.host.post(self.host.worker.set_networks, self.networks["generator"], self.networks["discriminator"])
        self.host.post(self.host.worker.set_k_d, int(self.k.value()))
        self.host.post(self.host.worker.set_lr, self.lr_g.currentData(), self.lr_d.currentData())
        self.host.post(self.host.worker.set_loss, self.loss.currentData())
        if self.loaded and self.plane.box.drawing:
            self.host.post(self.host.worker.set_points, list(self.plane.drawn))


def coverage_text(coverage: dict | None) -> str:
    """ "Modes covered: 7 of 8 · 86 % on a mode" (the unrolled-GAN measure: the share of points within 3 std of
    a mode), or "" for other data. Short: it stays on one line of the side column with large fonts."""
    if not coverage:
        return ""
    return (
        f"Modes covered: <b>{coverage['modes_covered']} of {coverage['n_modes']}</b> · "
        f"{100 * coverage['high_quality_fraction']:.0f} % on a mode"
    )
