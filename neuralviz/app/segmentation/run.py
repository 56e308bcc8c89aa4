"""SegmentationRun: the rnn-pde preset's two runs (a coarse CNN and the same CNN with the weight-tied refinement
block) trained in lockstep, and the SegmentationFrame copies the page draws of them (no Qt).

The worker thread owns the run; a frame holds copies only, so the GUI thread never touches a network. For the
test image shown a frame carries every class's probability (softmax over the channel axis) from the coarse run
and from the refined run after each refinement iteration 0..K (nv.segmentation.refinement_steps: index 0 is the
refined net's own coarse map), so the page's iteration slider and class picker need no round trip to the
worker. The readouts (nv.segmentation.evaluate on the first EVAL_IMAGES test images: both nets, about a second
on a busy 2-core machine) are remeasured while training plays at most every EVAL_SECONDS and at most EVAL_SHARE
of the time, and always for a paused or final frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ... import segmentation
from ...race import Race
from .maps import colour_table, image_rgb, softmax
from .painting import BRUSH, ClassLook, brush_mask, class_look, paint

PRESET = "rnn-pde"
LABELS = ("coarse", "refined")  # the preset's runs, as the page names them
REFINE_TYPE = "pde_refine"
EVAL_IMAGES = 32  # test images the pixel / boundary / IoU readouts average over
EVAL_SECONDS = 2.0  # while playing, the readouts are remeasured at most this often ...
EVAL_SHARE = 0.25  # ... and so that measuring takes at most about this share of the time
MAX_FILTER_ROWS = 8  # the learned update's filters shown: at most this many output channels ...
MAX_FILTER_COLS = 10  # ... by this many input channels


@dataclass(frozen=True)
class Filters:
    """The update's filters on its inputs, (rows, cols, kh, kw): one row per hidden channel, one column per input
    (the class scores' channels, then the image features'), cut to MAX_FILTER_ROWS x MAX_FILTER_COLS."""

    weights: np.ndarray
    hidden: int  # hidden channels in all (rows before the cut)
    scores: int  # class-score inputs (the first columns)
    features: int  # image-feature inputs (the columns after them)


@dataclass(frozen=True)
class SegmentationFrame:
    step: int
    budget: int
    index: int  # the test image shown ...
    count: int  # ... of this many
    image: np.ndarray  # (H, W, 3) uint8
    truth: np.ndarray  # (H, W) int64 class ids
    coarse: np.ndarray  # (C, H, W) class probabilities of the coarse run
    iterations: np.ndarray  # (K + 1, C, H, W) class probabilities of the refined run after each iteration
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> evaluate()'s readouts
    metrics_step: int = -1  # the step the readouts were measured at (-1: not yet)
    losses: dict[str, float | None] = field(default_factory=dict)  # label -> its last training loss
    filters: Filters | None = None
    classes: tuple[str, ...] = ()
    colours: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))  # (C, 3) uint8
    playing: bool = False
    final: bool = False
    edited: bool = False  # the image shown has classes painted on it (draw a scene)

    @property
    def k(self) -> int:
        """How many refinement iterations there are (the slider runs 0..k)."""
        return len(self.iterations) - 1


def has_refinement(network) -> bool:
    return any(e.get("type") == REFINE_TYPE for e in network.spec["layers"])


def update_filters(network) -> Filters:
    """The refinement block's filters on [class scores, image features] (weight_u beside weight_f), copied."""
    params = segmentation.refine_layer(network).params
    w_u, w_f = params["weight_u"].value, params["weight_f"].value
    both = np.concatenate([w_u, w_f], axis=1)[:MAX_FILTER_ROWS, :MAX_FILTER_COLS]
    return Filters(np.array(both, dtype=np.float64), w_u.shape[0], w_u.shape[1], w_f.shape[1])


class SegmentationRun:
    """A Race of the preset's runs labelled "coarse" and "refined", stepped by the worker; `step` counts steps."""

    def __init__(self, preset: str | dict = PRESET, seed: int = 0):
        self.race = Race(preset, seed=seed)
        missing = [label for label in LABELS if label not in self.race.runs]
        if missing:
            name = preset if isinstance(preset, str) else preset.get("name", "this preset")
            raise ValueError(f"segmentation page: preset {name!r:.60} has no run labelled {missing[0]!r}")
        self.coarse = self.race.runs["coarse"].network
        self.refined = self.race.runs["refined"].network
        if not has_refinement(self.refined):
            raise ValueError(f"segmentation page: the 'refined' run has no {REFINE_TYPE} layer to iterate")
        ds = self.race.runs["refined"].dataset
        if ds.task != "segmentation":
            raise ValueError(f"segmentation page: dataset {ds.name!r} is a {ds.task} set, not a segmentation one")
        self.x, self.y = (ds.x_test, ds.y_test) if len(ds.x_test) else (ds.x_train, ds.y_train)
        self.classes = tuple(ds.class_names or (f"class {c}" for c in range(ds.num_classes)))
        self.colours = colour_table(_dataset_colours(ds.num_classes))
        self.example = 0
        self.edit: tuple[np.ndarray, np.ndarray] | None = None  # (image, labels) painted over the example
        self._train = (ds.x_train, ds.y_train, ds.num_classes)
        self._look: ClassLook | None = None
        self._strokes = 0
        self._metrics: dict[str, dict[str, float]] = {}
        self._metrics_step = -1
        self._metrics_at = 0.0
        self._metrics_cost = 0.0

    @property
    def step(self) -> int:
        return self.race.step

    @property
    def budget(self) -> int:
        return self.race.budget

    @property
    def count(self) -> int:
        return len(self.x)

    def advance(self, k: int) -> None:
        self.race.advance(k)
        diverged = [run for run in self.race.runs.values() if run.diverged is not None]
        if diverged:
            raise ValueError(f"the {diverged[0].label!r} run diverged: {diverged[0].diverged}")

    def measure(self, force: bool = False) -> None:
        """The readouts of both runs on the first EVAL_IMAGES test images, if stale (see the module note)."""
        stale = self._metrics_step != self.step
        wait = max(EVAL_SECONDS, self._metrics_cost / EVAL_SHARE)
        if not stale or (not force and time.perf_counter() - self._metrics_at < wait):
            return
        start = time.perf_counter()
        x, y = self.x[:EVAL_IMAGES], self.y[:EVAL_IMAGES]
        nets = {"coarse": self.coarse, "refined": self.refined}
        self._metrics = {label: dict(segmentation.evaluate(net, x, y)) for label, net in nets.items()}
        self._metrics_step = self.step
        self._metrics_at = time.perf_counter()
        self._metrics_cost = self._metrics_at - start

    def show(self, index: int) -> None:
        """Show test image `index` (its own pixels: any painting is dropped)."""
        self.example, self.edit = int(index), None

    def paint(self, points, cls: int, radius: int = BRUSH) -> None:
        """Paint class `cls` along a stroke of (row, col) points over the image shown (see painting.py)."""
        if self._look is None:
            self._look = class_look(*self._train)
        i = self._index()
        image, labels = self.edit if self.edit is not None else (self.x[i], self.y[i])
        mask = brush_mask(labels.shape, points, radius)
        self._strokes += 1
        self.edit = paint(image, labels, mask, cls, self._look, seed=self._strokes)

    def _index(self) -> int:
        return min(max(0, self.example), self.count - 1)

    def frame(self, playing: bool = False, final: bool = False) -> SegmentationFrame:
        i = self._index()
        image, truth = self.edit if self.edit is not None else (self.x[i], self.y[i])
        x = np.asarray(image, dtype=self.x.dtype)[None]
        self.measure(force=final or not playing)
        coarse = softmax(np.asarray(self.coarse.forward(x, train=False))[0])
        steps = segmentation.refinement_steps(self.refined, x)
        iterations = np.stack([softmax(np.asarray(u)[0]) for u in steps])
        losses = {label: _last(run.losses) for label, run in self.race.runs.items()}
        return SegmentationFrame(
            step=self.step,
            budget=self.budget,
            index=i,
            count=self.count,
            image=image_rgb(image),
            truth=np.array(truth, dtype=np.int64),
            coarse=coarse.astype(np.float32),
            iterations=iterations.astype(np.float32),
            metrics={k: dict(v) for k, v in self._metrics.items()},
            metrics_step=self._metrics_step,
            losses=losses,
            filters=update_filters(self.refined),
            classes=self.classes,
            colours=self.colours,
            playing=playing,
            final=final,
            edited=self.edit is not None,
        )


def _dataset_colours(num_classes: int) -> list:
    """The segmentation dataset's CLASS_COLOURS (one per class), or the theme's class colours if it has too few."""
    from ...data import segmentation as seg_data
    from ..common.theme import OKABE_ITO

    colours = list(getattr(seg_data, "CLASS_COLOURS", []))
    return colours if len(colours) >= num_classes else [OKABE_ITO[c % len(OKABE_ITO)] for c in range(num_classes)]


def _last(losses: np.ndarray) -> float | None:
    return float(losses[-1]) if len(losses) else None
