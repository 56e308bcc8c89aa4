"""TextureRun: one texture synthesis stepped by the worker thread, and the TextureFrame copies it hands the GUI.

The options a page or a scene chooses (TextureOptions): which texture, the noise seed, ReLU or linear filters
(the brief's point: without the non-linearity only second-order statistics are matched, blotchy noise),
which filter sizes (small ones give small blobs, large ones keep larger structure), and the twin: the same
filters with the other choice of non-linearity, from the same noise, stepped in lockstep beside the main run
(the research brief's "one picture": source | ReLU | no ReLU).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...texture import DEFAULT_STEPS, FeatureSpec, Synthesis, names
from ...texture.features import DEFAULT_SIZES

SIZE_CHOICES = {  # label -> filter sizes (the page's "Filters" box)
    "3 to 15 px": DEFAULT_SIZES,
    "3 px only": (3,),
    "15 px only": (15,),
}


@dataclass(frozen=True)
class TextureOptions:
    texture: str = "bricks"
    seed: int = 0
    relu: bool = True
    sizes: tuple[int, ...] = DEFAULT_SIZES
    budget: int = DEFAULT_STEPS
    twin: bool = False


def read_options(options: dict, budget: int | None = None) -> TextureOptions:
    """A scene's or page's options dict as TextureOptions; ValueError naming a bad key or value."""
    known = {"texture", "seed", "relu", "sizes", "twin"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"texture view: unknown option {unknown[0]!r} (known: {', '.join(sorted(known))})")
    texture = options.get("texture", "bricks")
    if texture not in names():
        raise ValueError(f"texture view: 'texture' must be one of {', '.join(names())}, got {texture!r:.40}")
    seed = options.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"texture view: 'seed' must be an integer, got {seed!r:.40}")
    relu, twin = options.get("relu", True), options.get("twin", False)
    for key, value in (("relu", relu), ("twin", twin)):
        if not isinstance(value, bool):
            raise ValueError(f"texture view: {key!r} must be true or false, got {value!r:.40}")
    sizes = tuple(options.get("sizes", DEFAULT_SIZES))
    FeatureSpec(sizes=sizes).check()  # odd positive integers, or a ValueError saying so
    return TextureOptions(texture, seed, relu, sizes, DEFAULT_STEPS if budget is None else int(budget), twin)


@dataclass(frozen=True)
class TextureFrame:
    step: int
    budget: int
    options: TextureOptions
    source: np.ndarray  # (H, W, 3) in [0, 1]
    image: np.ndarray  # (H, W, 3) in [0, 1], the synthesis now
    losses: np.ndarray  # Gram loss at steps 0..step
    targets: tuple[np.ndarray, ...]  # the source's Gram matrix per filter size
    grams: tuple[np.ndarray, ...]  # the image's, now
    twin_image: np.ndarray | None = None  # the twin's image (other non-linearity), if the options ask for one
    twin_losses: np.ndarray | None = None
    playing: bool = False
    final: bool = False

    @property
    def relative(self) -> float:
        """The Gram loss now over its start (0.1 = fallen by 90%)."""
        return float(self.losses[-1] / self.losses[0])


class TextureRun:
    """A Synthesis with a step budget (what the worker's play loop counts), and its twin if asked for."""

    def __init__(self, options: TextureOptions):
        self.options = options
        spec = FeatureSpec(sizes=options.sizes, relu=options.relu)
        self.synthesis = Synthesis(options.texture, seed=options.seed, features=spec)
        self.twin = None
        if options.twin:  # same filters (same filter seed), same noise, the other non-linearity
            other = FeatureSpec(sizes=options.sizes, relu=not options.relu)
            self.twin = Synthesis(options.texture, seed=options.seed, features=other)
        self.budget = options.budget

    @property
    def step(self) -> int:
        return self.synthesis.step_count

    def advance(self, k: int) -> None:
        for _ in range(max(0, min(k, self.budget - self.step))):
            self.synthesis.step()
            if self.twin is not None:
                self.twin.step()

    def frame(self, playing: bool = False, final: bool = False) -> TextureFrame:
        s = self.synthesis
        return TextureFrame(
            self.step,
            self.budget,
            self.options,
            s.source,
            s.image,
            np.array(s.losses),
            tuple(s.targets),
            tuple(s.grams()),
            None if self.twin is None else self.twin.image,
            None if self.twin is None else np.array(self.twin.losses),
            playing,
            final,
        )
