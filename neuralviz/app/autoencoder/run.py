"""AutoencoderRun: one auto-encoder preset training, and the frame the page draws of it (no Qt).

The worker thread owns the run; a frame (AutoencoderFrame) holds copies only, so the GUI thread never touches
the network. Each frame encodes every test image (the dots of the latent plane), decodes them (the test loss,
and the reconstructions beside their originals) and answers the page's three questions with the weights as
they are now: the decode of a point the user clicked, a strip of decodes along a line they dragged, and
a - b + c on chosen images or class means. The questions stay set (Queries), so their answers change live as
the net trains.

An end of a line or a term of a - b + c is ("code", (x, y)), a point of the plane, ("image", i), test image i
(it follows its dot as the code moves), or ("class", k), the mean code of class k's test images (Radford et
al. averaged exemplars per concept; here all of a class's test images).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import presets
from ...generative.autoencoder import arithmetic_codes, code_width, decode, decoder_layers, encode, mean_image_mse

STRIP = 9  # decodes along a dragged line (the brief: 8-10)
SHOWN = 10  # originals over their reconstructions
PERCENTILES = (1.0, 99.0)  # plane bounds: an auto-encoder's code has no fixed scale, and a few dots stray far
PAD = 0.12  # of the span, around the percentile box
UNDERLAY = 15  # decodes per side of the faint grid under the dots (Kingma & Welling 2013, Fig. 4)


def autoencoder_presets() -> list[tuple[str, str]]:
    """(name, title) of every preset that trains on reconstruction with a layer whose id is "code"."""

    def keep(preset: dict) -> bool:
        layers = (preset.get("network") or {}).get("layers") or []
        options = (preset.get("dataset") or {}).get("options") or {}
        return options.get("task") == "reconstruction" and any(
            isinstance(e, dict) and e.get("id") == "code" for e in layers
        )

    return presets.titles(keep)


def plane_bounds(codes: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) around the central 98% of the codes on each axis, padded; never empty."""
    if len(codes) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = np.percentile(codes, PERCENTILES, axis=0)
    out = []
    for a, b in zip(lo, hi):
        span = max(float(b - a), 1e-3)
        out += [float(a) - PAD * span, float(b) + PAD * span]
    return tuple(out)


def decoded_grid(net, bounds: tuple[float, float, float, float], side: int = UNDERLAY) -> np.ndarray:
    """One image of side x side decodes at evenly spaced points of the plane, tiled as the plane shows them:
    row 0 of the result at the bottom (y0), each tile upright. Shape (side * H, side * W)."""
    x0, x1, y0, y1 = bounds
    xs, ys = np.linspace(x0, x1, side), np.linspace(y0, y1, side)
    z = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # row j of the grid: y = ys[j]
    tiles = grey(decode(net, z))
    h, w = tiles.shape[1:]
    tiles = tiles[:, ::-1, :].reshape(side, side, h, w)  # flipped: the plot's y axis points up
    return tiles.transpose(0, 2, 1, 3).reshape(side * h, side * w)


def grey(images: np.ndarray) -> np.ndarray:
    """(N, C, H, W) or (N, H, W) images -> (N, H, W) for drawing (the channels' mean)."""
    images = np.asarray(images, dtype=np.float32)
    return images.mean(axis=1) if images.ndim == 4 else images.reshape(len(images), *images.shape[-2:])


@dataclass
class Queries:
    """What the page asks of every frame: a point to decode, a line to walk, the terms of a - b + c."""

    point: tuple | None = None  # ("code", (x, y)); None: the plane's centre
    line: tuple | None = None  # (end, end)
    terms: tuple | None = None  # (a, b, c)


@dataclass
class AutoencoderFrame:
    preset: str
    step: int
    budget: int
    losses: np.ndarray  # training loss per step
    test_steps: np.ndarray  # steps at which the test loss was measured
    test_losses: np.ndarray
    baseline: float  # the mean image's test MSE
    codes: np.ndarray  # (N, 2) every test image's code
    underlay: np.ndarray  # decoded_grid over `bounds`: what every region of the plane decodes to
    labels: np.ndarray  # (N,) class of each test image (zeros when the data have none)
    class_names: list[str]
    bounds: tuple[float, float, float, float]
    originals: np.ndarray  # (SHOWN, H, W)
    reconstructions: np.ndarray
    point: np.ndarray  # (2,) the decoded point
    point_image: np.ndarray  # (H, W)
    line: np.ndarray | None = None  # (STRIP, 2) codes along the line
    strip: np.ndarray | None = None  # (STRIP, H, W)
    parallelogram: np.ndarray | None = None  # (4, 2): a, b, c, a - b + c
    term_images: np.ndarray | None = None  # (4, H, W): decodes of a, b, c and the result
    term_names: tuple[str, ...] = ()
    playing: bool = False
    final: bool = False

    @property
    def test_loss(self) -> float | None:
        return float(self.test_losses[-1]) if len(self.test_losses) else None


class AutoencoderRun:
    """A preset's auto-encoder (presets.build), trained step by step; `step` counts steps."""

    def __init__(self, name: str | dict, seed: int = 0):
        preset = presets.load(name) if isinstance(name, str) else name
        if not isinstance(preset, dict):
            raise ValueError(f"auto-encoder page: a preset is a name or a dict, got {type(name).__name__}")
        self.name = name if isinstance(name, str) else str(preset.get("name", "inline preset"))
        where = f"auto-encoder page ({self.name})"
        self.setup = presets.build(preset, seed=seed, where=where)
        ds, net = self.setup.dataset, self.setup.network
        if ds.task != "reconstruction":
            raise ValueError(f"{where}: the dataset must be trained on reconstruction (option task='reconstruction')")
        decoder_layers(net)  # a decoder that reads only the code, or say why not now
        if code_width(net) != 2:
            raise ValueError(f"{where}: the plane needs a 2-number code, but 'code' has {code_width(net)} values")
        self.x = ds.x_test if len(ds.x_test) else ds.x_train
        labels = ds.labels("test" if len(ds.x_test) else "train")
        self.labels = np.zeros(len(self.x), np.int64) if labels is None else np.asarray(labels, np.int64)
        self.class_names = list(ds.class_names or [str(k) for k in range(int(self.labels.max()) + 1)])
        self.baseline = mean_image_mse(ds, "test" if len(ds.x_test) else "train")
        self.shown = _one_per_class(self.labels, SHOWN)
        self.queries = Queries()
        self.losses: list[np.ndarray] = []
        self.test_steps: list[int] = []
        self.test_losses: list[float] = []

    @property
    def step(self) -> int:
        return self.setup.trainer.steps

    @property
    def budget(self) -> int:
        return self.setup.budget

    def advance(self, k: int) -> None:
        ds = self.setup.dataset
        self.losses.append(self.setup.trainer.train_steps(ds.x_train, ds.y_train, k, self.setup.batch_size))

    # ------------------------------------------------------------------ answering the queries
    def resolve(self, term: tuple, codes: np.ndarray) -> np.ndarray:
        """The code of a line end or an arithmetic term (see the module doc)."""
        kind, value = term
        if kind == "code":
            return np.asarray(value, dtype=np.float64)
        if kind == "image":
            return codes[int(value)].astype(np.float64)
        if kind == "class":
            members = codes[self.labels == int(value)]
            if not len(members):
                raise ValueError(f"class {value} has no test image")
            return members.mean(axis=0).astype(np.float64)
        raise ValueError(f"unknown term {term!r:.40}")

    def term_name(self, term: tuple) -> str:
        kind, value = term
        if kind == "class":
            return self.class_names[int(value)]
        if kind == "image":
            return f"#{int(value)}"
        return "point"

    def term_group(self, term: tuple) -> np.ndarray:
        """What arithmetic_codes takes for a term: a code, one image, or the class's images."""
        kind, value = term
        if kind == "image":
            return self.x[int(value)]
        if kind == "class":
            return self.x[self.labels == int(value)]
        return np.asarray(value, dtype=np.float64)

    def frame(self, playing: bool = False, final: bool = False) -> AutoencoderFrame:
        net = self.setup.network
        codes = encode(net, self.x)
        recon = decode(net, codes)
        if not self.test_steps or self.test_steps[-1] != self.step:
            self.test_steps.append(self.step)
            self.test_losses.append(float(np.mean((recon.astype(np.float64) - self.x) ** 2)))
        bounds = plane_bounds(codes)
        q = self.queries
        point = (
            np.array([(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2])
            if q.point is None
            else self.resolve(q.point, codes)
        )
        frame = AutoencoderFrame(
            preset=self.name,
            step=self.step,
            budget=self.budget,
            losses=np.concatenate(self.losses) if self.losses else np.empty(0),
            test_steps=np.asarray(self.test_steps, dtype=np.float64),
            test_losses=np.asarray(self.test_losses),
            baseline=self.baseline,
            codes=codes.astype(np.float64),
            labels=self.labels,
            class_names=self.class_names,
            bounds=bounds,
            underlay=decoded_grid(net, bounds),
            originals=grey(self.x[self.shown]),
            reconstructions=grey(recon[self.shown]),
            point=point,
            point_image=grey(decode(net, point))[0],
            playing=playing,
            final=final,
        )
        if q.line is not None:
            a, b = (self.resolve(end, codes) for end in q.line)
            t = np.linspace(0.0, 1.0, STRIP)[:, None]
            frame.line = (1 - t) * a + t * b
            frame.strip = grey(decode(net, frame.line))
        if q.terms is not None:
            corners = arithmetic_codes(net, *(self.term_group(t) for t in q.terms))
            frame.parallelogram = corners.astype(np.float64)
            frame.term_images = grey(decode(net, corners))
            frame.term_names = tuple(self.term_name(t) for t in q.terms)
        return frame

    def check_term(self, term: tuple) -> tuple:
        """A term from the page, checked (ValueError naming what is wrong)."""
        if not isinstance(term, tuple) or len(term) != 2:
            raise ValueError(f"a term is (kind, value), got {term!r:.60}")
        kind, value = term
        if kind == "code":
            z = np.asarray(value, dtype=np.float64)
            if z.shape != (2,) or not np.all(np.isfinite(z)):
                raise ValueError(f"a point of the plane is two finite numbers, got {value!r:.60}")
            return ("code", (float(z[0]), float(z[1])))
        if kind == "image":
            if not 0 <= int(value) < len(self.x):
                raise ValueError(f"there is no test image {value} (there are {len(self.x)})")
            return ("image", int(value))
        if kind == "class":
            if not np.any(self.labels == int(value)):
                raise ValueError(f"no test image is of class {value}")
            return ("class", int(value))
        raise ValueError(f"unknown kind of term {kind!r:.40} (code, image or class)")


def _one_per_class(labels: np.ndarray, count: int) -> np.ndarray:
    """Indices of `count` test images taking the classes in turn (the first of each class, then the second...)."""
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(labels), np.int64)
    for k in np.unique(labels):
        members = order[labels[order] == k]
        rank[members] = np.arange(len(members))
    chosen = np.lexsort((labels, rank))[:count]
    return np.asarray(chosen, dtype=np.int64)
