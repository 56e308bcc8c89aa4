"""Textures and style: Gram matrices of random conv features, and texture synthesis (Gatys et al. 2015).

    import neuralviz as nv
    nv.texture.names()                        # the bundled textures: ['bricks', 'weave', ...]
    src = nv.texture.load("bricks")           # float64 (H, W, 3) in [0, 1]
    image, losses = nv.texture.synthesize("bricks", steps=None, seed=0)   # losses[-1] < losses[0] / 10
    s = nv.texture.Synthesis("bricks", seed=0); s.step(); s.image; s.grams()   # one step at a time (live)
    nv.texture.gram(features)                 # G = F Fᵀ / M for (C, H, W) maps

Modules: gram (the matrices and the loss), features (random multi-scale filters on the engine's conv2d),
lbfgs (two-loop L-BFGS), synthesize (the synthesis), bundled/ppm/procedural (the textures and their files).
"""

from .bundled import load, names
from .features import FeatureSpec, RandomFilters
from .gram import gram, gram_loss
from .lbfgs import LBFGS, minimize
from .synthesize import DEFAULT_STEPS, Synthesis, synthesize

__all__ = [
    "DEFAULT_STEPS",
    "LBFGS",
    "FeatureSpec",
    "RandomFilters",
    "Synthesis",
    "gram",
    "gram_loss",
    "load",
    "minimize",
    "names",
    "synthesize",
]
