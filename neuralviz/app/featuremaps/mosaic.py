"""Mosaics: many small maps (activation maps, filters, test images) rasterised into one RGBA image.

A layout places N maps of h x w on a grid, each drawn cell_h x cell_w screen pixels (nearest neighbour), with
`gap` pixels of background between the maps: the picture is then drawn 1:1, so the gaps stay exact and
even (Qt scaling a small mosaic would make them uneven). Per frame the work is two array passes: the
colour mapping of the N*h*w values (neuralviz.viz.colormap_rgba, in C) and one gather of packed RGBA
words through an index image that is computed once per layout. No per-pixel Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...viz import colormap_rgba


@dataclass(frozen=True)
class MosaicLayout:
    count: int
    map_h: int
    map_w: int
    cols: int
    rows: int
    cell_h: int  # screen pixels of one drawn map (nearest-neighbour resampled)
    cell_w: int
    gap: int  # screen pixels between maps

    @property
    def pitch_x(self) -> int:
        return self.cell_w + self.gap

    @property
    def pitch_y(self) -> int:
        return self.cell_h + self.gap

    @property
    def width(self) -> int:
        return max(0, self.cols * self.pitch_x - self.gap)

    @property
    def height(self) -> int:
        return max(0, self.rows * self.pitch_y - self.gap)

    def cell_origin(self, i: int) -> tuple[int, int]:
        r, c = divmod(int(i), self.cols)
        return c * self.pitch_x, r * self.pitch_y

    def cell_at(self, x: float, y: float) -> int | None:
        """The map under the point (x, y) of the mosaic, or None (a gap, or outside)."""
        if x < 0 or y < 0:
            return None
        c, cx = divmod(int(x), self.pitch_x)
        r, cy = divmod(int(y), self.pitch_y)
        i = r * self.cols + c
        if c >= self.cols or cx >= self.cell_w or cy >= self.cell_h or i >= self.count:
            return None
        return i


def _cell(map_h: int, map_w: int, cell_h: int) -> tuple[int, int]:
    cell_h = max(1, int(cell_h))
    return cell_h, max(1, int(round(map_w * cell_h / map_h)))


def fit_layout(
    count: int, map_h: int, map_w: int, max_width: int, max_height: int, gap: int = 3, max_scale: int = 40
) -> MosaicLayout:
    """The grid whose maps are drawn largest inside max_width x max_height (ties: fewest empty cells,
    then the wider grid); maps are at least 1 pixel tall."""
    count = max(1, int(count))
    best = None
    for cols in range(1, count + 1):
        rows = -(-count // cols)
        by_width = ((max_width + gap) / cols - gap) * map_h / map_w
        by_height = (max_height + gap) / rows - gap
        cell_h = int(max(1, min(by_width, by_height, max_scale * map_h)))
        key = (cell_h, -(rows * cols - count), cols)
        if best is None or key > best[0]:
            best = (key, MosaicLayout(count, map_h, map_w, cols, rows, *_cell(map_h, map_w, cell_h), gap))
    return best[1]


def layout_for_cell(
    count: int, map_h: int, map_w: int, cell_h: int, max_width: int, gap: int = 3, cols_step: int = 1
) -> MosaicLayout:
    """Maps drawn cell_h pixels tall, as many per line as fit max_width, the lines balanced (no nearly
    empty last line); cols_step keeps whole groups on a line."""
    count = max(1, int(count))
    cell_h, cell_w = _cell(map_h, map_w, cell_h)
    fit = max(1, (max_width + gap) // (cell_w + gap))
    if fit >= count:
        return MosaicLayout(count, map_h, map_w, count, 1, cell_h, cell_w, gap)
    rows = -(-count // fit)
    cols = -(-count // rows)
    if cols_step > 1 and cols % cols_step:
        cols = min(count, cols + cols_step - cols % cols_step)
        rows = -(-count // cols)
    return MosaicLayout(count, map_h, map_w, cols, rows, cell_h, cell_w, gap)


class MosaicPainter:
    """Rasterises stacks of maps with one colour table (the theme's diverging map, or greys)."""

    def __init__(self, lut: np.ndarray, background: tuple[int, int, int] = (255, 255, 255)):
        self.lut = np.ascontiguousarray(lut, dtype=np.uint8)
        self.background = np.array([*background, 255], dtype=np.uint8)
        self._index: dict[MosaicLayout, np.ndarray] = {}

    def index(self, layout: MosaicLayout) -> np.ndarray:
        """(height, width) int index of each mosaic pixel into the flattened maps; count*h*w = background."""
        idx = self._index.get(layout)
        if idx is None:
            if len(self._index) > 64:  # layouts change with the window size: keep the cache bounded
                self._index.clear()
            idx = self._index[layout] = _build_index(layout)
        return idx

    def render(self, maps: np.ndarray, layout: MosaicLayout, vmin: float, vmax: float) -> np.ndarray:
        """(N, h, w) values -> (height, width, 4) uint8 RGBA; vmin..vmax spans the colour table."""
        n, h, w = maps.shape
        if (n, h, w) != (layout.count, layout.map_h, layout.map_w):
            raise ValueError(
                f"mosaic: maps of shape {maps.shape} do not fit a layout of {layout.count} maps "
                f"of {layout.map_h}x{layout.map_w}"
            )
        values = np.ascontiguousarray(maps, dtype=np.float32).reshape(1, -1)
        lo, hi = float(vmin), float(vmax)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            lo, hi = -1.0, 1.0
        table = np.empty((values.shape[1] + 1, 4), dtype=np.uint8)
        colormap_rgba(values, self.lut, lo, hi, table[None, :-1])
        table[-1] = self.background
        words = table.view(np.uint32).reshape(-1)
        return words[self.index(layout)].view(np.uint8).reshape(layout.height, layout.width, 4)


def _build_index(layout: MosaicLayout) -> np.ndarray:
    h, w = layout.map_h, layout.map_w
    ys, xs = np.arange(layout.height), np.arange(layout.width)
    row, in_y = np.divmod(ys, layout.pitch_y)
    col, in_x = np.divmod(xs, layout.pitch_x)
    inside = (in_y < layout.cell_h)[:, None] & (in_x < layout.cell_w)[None, :]
    cell = row[:, None] * layout.cols + col[None, :]
    inside &= cell < layout.count
    # nearest neighbour: screen pixel -> map pixel (cells need not be a whole multiple of the map)
    src_y = np.minimum(in_y * h // layout.cell_h, h - 1)
    src_x = np.minimum(in_x * w // layout.cell_w, w - 1)
    idx = cell * (h * w) + src_y[:, None] * w + src_x[None, :]
    background = layout.count * h * w
    return np.where(inside, idx, background).astype(np.intp)


def grey_lut(dark_is_high: bool = True) -> np.ndarray:
    """(256, 4) greys for images: high values dark (ink on paper), as the studio shows digits."""
    g = np.linspace(255, 0, 256) if dark_is_high else np.linspace(0, 255, 256)
    lut = np.empty((256, 4), dtype=np.uint8)
    lut[:, :3] = np.rint(g)[:, None].astype(np.uint8)
    lut[:, 3] = 255
    return lut
