"""FiltersView: the learned weights of every convolution layer, each kernel as a small image.

A first-layer filter (one input channel) is one kh x kw picture: the stroke or edge it looks for. A deeper
filter reads every map of the layer before; it is drawn as its kernels side by side, one per input map,
with a thin white line between them and a wider gap between filters. Orange is a negative weight, blue a
positive one, white zero; the scale is shared within a layer (its largest |weight|).
"""

from __future__ import annotations

import numpy as np

from .mosaic_stack import MosaicStack, RowSpec
from .workbench import PageContext

FILTER_GAP = 9  # between filters; kernels of one filter are one map pixel apart


def filter_strips(weight: np.ndarray) -> np.ndarray:
    """(out, in, kh, kw) -> (out, kh, in*(kw+1)-1): each filter's kernels side by side, NaN between them
    (NaN is drawn transparent, i.e. as the background)."""
    out_c, in_c, kh, kw = weight.shape
    strips = np.full((out_c, kh, in_c, kw + 1), np.nan, dtype=np.float32)
    strips[..., :kw] = np.transpose(weight, (0, 2, 1, 3))
    return strips.reshape(out_c, kh, in_c * (kw + 1))[:, :, :-1]


class FiltersView(MosaicStack):
    def __init__(self, theme, parent=None):
        super().__init__(theme, parent)
        self.placeholder = "The learned filters appear here once a convolutional network is loaded."

    def set_context(self, ctx: PageContext) -> None:
        rows = []
        for lid, (out_c, in_c, kh, kw) in ctx.filter_shapes.items():
            if in_c == 1:
                title = f"{lid}: {out_c} filters of {kh}×{kw}"
            else:
                title = f"{lid}: {out_c} filters, each {in_c} kernels of {kh}×{kw} (one per input map)"
            # a first layer's filters are pictures of strokes and edges: drawn larger than the deeper ones
            rows.append(
                RowSpec(
                    lid,
                    title,
                    out_c,
                    kh,
                    in_c * (kw + 1) - 1,
                    gap=FILTER_GAP if in_c > 1 else 3,
                    zoom=1.0 if in_c > 1 else 5.0,
                )
            )
        self.set_rows(tuple(rows))

    def show_filters(self, filters) -> None:
        for row in self.rows:
            w = filters.get(row.key)
            if w is None or w.ndim != 4:
                continue
            peak = float(np.max(np.abs(w))) if w.size else 0.0
            self.show_maps(
                row.key,
                filter_strips(np.asarray(w)),
                peak if peak > 1e-12 else 1.0,
                caption=f"largest |weight| {peak:.2f}",
            )
        self.update()
