"""LayersView: features built from features (lecture topic 7), readable from the back of the room.

The preset's network (a 2-input MLP) trains in a WorkerHost thread (layers_worker.py); after each chunk, every
hidden neuron's map over the input plane is drawn, one gallery per layer (the prior view's GalleryBoard, tiles
as large as the area allows), with the output's map beside them. The studio draws the same maps inside its
network diagram at ~10 px, too small for a hall; here the room can watch the first layer cut the plane with
straight lines and the later layers fold those cuts into bands and rings.

scene.options (all optional): {"resolution": 64 (grid points per side), "speed": 24 (steps per frame while
playing), "seed": 0}. Each hidden map is auto-contrasted (neuralviz.viz.auto_contrast); the output map is the
probability of class 1 on a fixed scale (bce with one logit) or auto-contrasted.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...lecture.scene import Scene
from ...network import Network
from ..common.render import HeatmapPainter, to_qimage
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from .fonts import font
from .layers_worker import LayersFrame, LayersWorker, hidden_layers, read_options
from .prior_gallery import GalleryBoard
from .scene_view import HostedSceneView

__all__ = ["LayersView"]

OUTPUT_SHARE = 1  # the output board's share of the width, against the hidden layers' LAYERS_SHARE
LAYERS_SHARE = 3


class LayersView(QWidget, HostedSceneView):
    """One gallery per hidden layer, plus the output; trains in chunks, maps after each."""

    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        if not isinstance(scene.preset, dict) or not isinstance(scene.preset.get("network"), dict):
            raise ValueError("layers view: the scene needs a preset with a 'network'")
        self.options = read_options(scene.options or {})
        self.frame: LayersFrame | None = None
        self.error = ""
        self._painter = HeatmapPainter(theme)
        self._build(Network.from_spec(scene.preset["network"]))
        self._train_in(WorkerHost(LayersWorker(), "neuralviz-layers"))
        self.host.set_speed(self.options["speed"])
        self._configure()
        self.set_theme(theme)

    def _build(self, net: Network) -> None:
        """The hidden layers' board (each layer has as many tiles as units: the largest count sets the plan)
        and, to its right, the output's board."""
        hidden = hidden_layers(net)
        if not hidden:
            raise ValueError("layers view: the network has no hidden layer to show")
        units = max(net.layers[i].output_shape[0] for i, _ in hidden)
        labels = [(f"layer {k}", text) for k, (_, text) in enumerate(hidden, 1)]
        self.board = GalleryBoard(labels, units)
        outputs = int(net.output_shape[0]) if len(net.output_shape) == 1 else 1
        self.output_board = GalleryBoard([("output", "class 1 where blue")], outputs)
        self.galleries = [*self.board.galleries, *self.output_board.galleries]
        self.hint = QLabel("each tile: one neuron's output over the input plane · orange low, blue high (per tile)")
        self.hint.setWordWrap(True)
        boards = QHBoxLayout()
        boards.setSpacing(16)
        boards.addWidget(self.board, LAYERS_SHARE)
        boards.addWidget(self.output_board, OUTPUT_SHARE)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(6)
        lay.addLayout(boards, 1)
        lay.addWidget(self.hint)

    # ------------------------------------------------------------------ frames
    def _configure(self) -> None:
        self.host.post(self.host.worker.configure, self.scene.preset, self.scene.options or {}, self.scene.stop.steps)

    def _on_failed(self, text: str) -> None:
        self.error = text
        self.hint.setText(f"Cannot run: {text}")
        self._finish_headless()  # nothing will train: a scripted run must not wait for ever

    def _show_frame(self, frame) -> None:
        self._paint_maps()

    def _paint_maps(self) -> None:
        if self.frame is None:
            return
        for gallery, maps in zip(self.galleries, self.frame.maps):
            gallery.mosaic.set_images([to_qimage(self._painter.diverging(m)) for m in maps])

    # ------------------------------------------------------------------ SceneView
    def reset(self) -> None:
        self.error = ""
        super().reset()

    def current_loss(self) -> float | None:
        return self.frame.loss if self.frame is not None else None

    def status(self) -> str:
        step, loss = self.current_step(), self.current_loss()
        said = f"step {step:,d}/{self.scene.stop.steps:,d}"
        if loss is not None:
            said += f" · loss {loss:.3g}"
        return " · ".join(x for x in (said, self.scene.stop.reason(step, loss), self.error) if x)

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        if self.error:
            done()
            return
        super().run_headless(steps, done)

    def set_theme(self, theme: Theme) -> None:
        HostedSceneView.set_theme(self, theme)
        self._painter.set_theme(theme)
        for g in self.galleries:
            g.set_theme(theme)
        self.board.arrange()  # the labels' heights changed with their fonts
        self.output_board.arrange()
        self.hint.setFont(font(theme.font_pt * 1.1))
        self.hint.setStyleSheet(f"color: {theme.muted_text};")
        self._paint_maps()
