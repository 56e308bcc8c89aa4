"""MapsView: the activation maps of every convolution and pooling layer for the chosen input.

One row per layer (conv layers shown after their activation), each map coloured with the studio's
diverging scale: white is 0, blue positive, orange negative (only raw conv outputs have negatives). The
scale is shared by the maps of a layer, so a weak channel looks weak. Click a map to choose that channel
for "what excites it".
"""

from __future__ import annotations

import numpy as np

from .mosaic_stack import MosaicStack, RowSpec
from .probe import ProbeResult
from .workbench import PageContext


class MapsView(MosaicStack):
    def __init__(self, theme, parent=None):
        super().__init__(theme, parent)
        self.placeholder = "The activation maps appear here once a convolutional network is loaded."

    def set_context(self, ctx: PageContext) -> None:
        self.set_rows(tuple(RowSpec(m.id, m.title, m.channels, m.shape[1], m.shape[2]) for m in ctx.map_layers))

    def show_result(self, result: ProbeResult) -> None:
        for row in self.rows:
            maps = result.maps.get(row.key)
            if maps is None:
                continue
            peak = float(np.max(np.abs(maps))) if maps.size else 0.0
            self.show_maps(row.key, maps, peak if peak > 1e-12 else 1.0, caption=f"largest |value| {peak:.2f}")
        self.update()
