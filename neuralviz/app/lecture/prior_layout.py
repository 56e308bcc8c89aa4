"""Where the prior scene's galleries go (plan_galleries -> GalleryPlan): square tiles, as large as fit.

Every arrangement of the galleries (side by side, stacked, in a grid, labels above; or stacked with the
labels in a column beside them) and of each gallery's n² tiles in full rows is tried, and the one with the
largest square tiles wins: at 1280 x 720 the galleries stand side by side, 4 x 4 each; at 1024 x 768 they
are stacked, 8 x 2 each, labels beside. The labels take the room the maps leave, so large fonts cost the
maps little (none where the labels sit in the spare height).

Integer arithmetic only, no Qt: the widgets that follow a plan live in prior_gallery.py, and the plan is
tested without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

__all__ = ["GalleryPlan", "plan_galleries", "tile_shapes", "GAP", "SPACING", "LABEL_GAP"]

GAP = 6  # pixels between the tiles of one gallery
SPACING = 16  # between galleries: wider than GAP, so each gallery reads as one block
LABEL_GAP = 4  # between a gallery's labels and its maps
LABEL_SHARE = (0.15, 0.4)  # the label column's share of the width (from, to), when beside the galleries


@dataclass(frozen=True)
class GalleryPlan:
    """Where the galleries go: `across` x `down` galleries, each `columns` x `rows` square tiles of `tile`
    pixels, labelled above (label = the label band's height) or beside (label = the label column's width)."""

    tile: int
    columns: int
    rows: int
    across: int
    down: int
    beside: bool
    label: int

    def mosaic_size(self) -> tuple[int, int]:
        return self.columns * self.tile + (self.columns - 1) * GAP, self.rows * self.tile + (self.rows - 1) * GAP


def tile_shapes(maps: int) -> list[tuple[int, int]]:
    """(columns, rows) with columns x rows == maps: full rows only (a lone tile on a last row looks like an
    odd one out, and the galleries stop lining up)."""
    return [(c, maps // c) for c in range(1, maps + 1) if maps % c == 0]


def plan_galleries(width: int, height: int, count: int, maps: int, label_height: Callable[[int], int]) -> GalleryPlan:
    """The arrangement with the largest square tiles in width x height: galleries side by side, stacked or
    in a grid with their labels above, or stacked with their labels beside them (a 4:3 screen fits three
    galleries of 16 larger that way). label_height(w): the height the tallest gallery's labels need at
    width w. The font sizes only decide the labels' room, taken from the spare dimension where there is one,
    so large fonts do not shrink the maps unless the labels no longer fit beside them."""
    best: GalleryPlan | None = None
    for across in range(count, 0, -1):  # side by side first: on a tie, the comparison reads left to right
        down = -(-count // across)
        if across > 1 and (across - 1) * down >= count:
            continue  # a whole column of galleries would stay empty
        cell = (width - (across - 1) * SPACING) // across
        band = label_height(cell) + LABEL_GAP
        cell_height = (height - (down - 1) * SPACING) // down - band
        best = _larger(best, _fit(cell, cell_height, maps, across, down, False, band))
    cell_height = (height - (count - 1) * SPACING) // count
    for column in range(int(width * LABEL_SHARE[0]), int(width * LABEL_SHARE[1]), 8):  # the narrowest that fits
        plan = _fit(width - column - SPACING, cell_height, maps, 1, count, True, 0)
        spare = width - SPACING - plan.mosaic_size()[0]  # the labels get all the maps leave: less wrapping
        if label_height(spare) <= plan.mosaic_size()[1]:
            best = _larger(best, replace(plan, label=spare))
            break
    return best or GalleryPlan(1, maps, 1, count, 1, False, 0)


def _fit(width: int, height: int, maps: int, across: int, down: int, beside: bool, label: int) -> GalleryPlan:
    """The tile shape with the largest tiles in one gallery's width x height."""
    sizes = [(min((width - (c - 1) * GAP) // c, (height - (r - 1) * GAP) // r), c, r) for c, r in tile_shapes(maps)]
    tile, columns, rows = max(sizes, key=lambda s: (s[0], -abs(s[1] - s[2])))  # of equal tiles, the squarer
    return GalleryPlan(max(1, tile), columns, rows, across, down, beside, label)


def _larger(best: GalleryPlan | None, plan: GalleryPlan) -> GalleryPlan:
    return plan if best is None or plan.tile > best.tile else best
