"""The robustness panels by name: their widget classes, tab titles and frame types (the page and the lecture view
build from here)."""

from __future__ import annotations

from .adversarial_panel import AdversarialPanel
from .adversarial_run import AdversarialFrame
from .compression_panel import CompressionPanel
from .compression_run import CompressionFrame
from .noise_panel import NoisePanel
from .noise_run import NoiseFrame
from .structure_panel import StructurePanel
from .structure_run import StructureFrame

PANEL_CLASSES = {
    "compression": CompressionPanel,
    "noise": NoisePanel,
    "adversarial": AdversarialPanel,
    "structure": StructurePanel,
}
PANEL_TITLES = {
    "compression": "Compression",
    "noise": "Noise && dropout",
    "adversarial": "Adversarial",
    "structure": "Structure",
}
FRAME_PANELS = {
    CompressionFrame: "compression",
    NoiseFrame: "noise",
    AdversarialFrame: "adversarial",
    StructureFrame: "structure",
}
