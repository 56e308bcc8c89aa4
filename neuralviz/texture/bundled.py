"""The textures shipped in assets/textures/ (binary PPM, 64×64 RGB): their names and pixels.

They were drawn by neuralviz/texture/procedural.py (assets/textures/README.md says how, and their licence).
"""

from __future__ import annotations

import numpy as np

from ..data import asset_path
from .ppm import read_ppm
from .procedural import MAKERS

FOLDER = "textures"


def names() -> list[str]:
    """The bundled textures' names, in the order the app lists them."""
    return list(MAKERS)


def load(name: str) -> np.ndarray:
    """A bundled texture as float64 (H, W, 3) in [0, 1] (rows, columns, RGB); ValueError for an unknown name."""
    if not isinstance(name, str) or name not in MAKERS:
        raise ValueError(f"no bundled texture {name!r:.60}; the textures are: {', '.join(MAKERS)}")
    return read_ppm(asset_path(f"{FOLDER}/{name}.ppm"))
