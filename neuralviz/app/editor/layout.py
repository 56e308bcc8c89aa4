"""Auto-layout: a layered drawing, data flowing left to right (Sugiyama's scheme, simplified).

1. Ranks: each node goes one column right of its furthest input (longest path from the network input),
   so every connection points right.
2. Order within a column: a few sweeps of the barycentre heuristic (each node moves toward the mean
   position of its neighbours in the previous column), which removes most crossings of branchy graphs.
3. Rows: a long chain (a LeNet has a dozen layers) drawn on one line would have to be shrunk until
   nothing is readable on a projector. Given the shape of the canvas, the columns are cut into as many
   rows as make the drawing largest when fitted, each row again left to right ("snake" wrapping).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ...spec import INPUT
from .model import GraphModel, Point

GAP_X = 72.0  # between columns (room for the shape label on each connection)
GAP_Y = 34.0  # between nodes of one column
ROW_GAP = 96.0  # between wrapped rows (room for the connection that goes back to the left)
DEFAULT_SIZE = (180.0, 90.0)

Size = Callable[[str], tuple[float, float]]


def ranks(model: GraphModel) -> dict[str, int]:
    """Column of each node: 0 for the input, else one more than its furthest input."""
    rank = {INPUT: 0}
    for lid in model.order():
        inputs = [s for s in model.layers[lid]["inputs"] if s in rank]
        rank[lid] = 1 + max((rank[s] for s in inputs), default=0)
    return rank


def _columns(model: GraphModel, rank: dict[str, int], sweeps: int = 4) -> list[list[str]]:
    count = max(rank.values()) + 1
    columns: list[list[str]] = [[] for _ in range(count)]
    for lid in model.nodes():  # spec order is the starting order
        columns[rank[lid]].append(lid)
    inputs = {lid: [s for s in e["inputs"] if s in rank] for lid, e in model.layers.items()}
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        sequence = range(1, count) if forward else range(count - 2, -1, -1)
        for k in sequence:
            neighbour = columns[k - 1] if forward else columns[k + 1]
            index = {lid: i for i, lid in enumerate(neighbour)}

            def centre(lid: str, i: int, forward=forward, index=index) -> float:
                if forward:
                    near = [index[s] for s in inputs.get(lid, []) if s in index]
                else:
                    near = [index[c] for c in model.consumers(lid) if c in index]
                return sum(near) / len(near) if near else float(i)

            columns[k] = [lid for _, lid in sorted(((centre(lid, i), i), lid) for i, lid in enumerate(columns[k]))]
    return columns


def _crossings(model: GraphModel, rank: dict[str, int], count: int) -> list[int]:
    """crossings[k]: how many connections a cut between column k and column k + 1 would break."""
    cut = [0] * count
    for src, dst, _ in model.edges():
        if src in rank:
            for k in range(rank[src], rank[dst]):
                cut[k] += 1
    return cut


def _chunks(count: int, crossings: list[int], rows: int) -> list[range]:
    """Columns cut into `rows` runs of about equal length; each cut moves (by up to two columns) to
    where the fewest connections cross it, so a residual block stays on one row."""
    cuts, previous = [], -1
    for r in range(1, rows):
        ideal = round(r * count / rows) - 1
        options = [k for k in range(ideal - 2, ideal + 3) if previous < k < count - 1]
        if not options:
            continue
        previous = min(options, key=lambda k: (crossings[k], abs(k - ideal)))
        cuts.append(previous)
    bounds = [-1, *cuts, count - 1]
    return [range(a + 1, b + 1) for a, b in zip(bounds, bounds[1:])]


def _fitted_scale(
    chunks: list[range], widths, heights, canvas: tuple[float, float], gap_x: float, row_gap: float, max_zoom: float
) -> float:
    width = max(sum(widths[k] for k in c) + gap_x * (len(c) - 1) for c in chunks)
    height = sum(max(heights[k] for k in c) for c in chunks) + row_gap * (len(chunks) - 1)
    return min(canvas[0] / width, canvas[1] / height, max_zoom)


def auto_layout(
    model: GraphModel, size: Size | None = None, canvas: tuple[float, float] | None = None, max_zoom: float = 1.4
) -> dict[str, Point]:
    """Positions (top-left corners) for every node, in layout units (scene pixels at normal fonts).

    size(id) gives a node's (width, height); canvas the size of the view (None: one row); max_zoom the
    largest zoom the view will fit at. Long chains wrap into as many rows as make the fitted drawing
    large enough to read: the fewest rows that reach 90% of the best zoom possible (or of 1.0, whichever
    is lower)."""
    size = size or (lambda lid: DEFAULT_SIZE)
    rank = ranks(model)
    columns = _columns(model, rank)
    sizes = {lid: size(lid) for col in columns for lid in col}
    widths = [max(sizes[lid][0] for lid in col) for col in columns]
    heights = [sum(sizes[lid][1] for lid in col) + GAP_Y * (len(col) - 1) for col in columns]
    gap_x, row_gap = GAP_X, ROW_GAP
    crossings = _crossings(model, rank, len(columns))
    chunks = [range(len(columns))]
    if canvas and len(columns) >= 4:
        options = [_chunks(len(columns), crossings, rows) for rows in range(1, math.ceil(math.sqrt(len(columns))) + 2)]
        # a cut through a block (more than one wire crossing it) is worth a smaller drawing
        scores = [
            _fitted_scale(c, widths, heights, canvas, gap_x, row_gap, max_zoom)
            * 0.8 ** sum(crossings[r[-1]] - 1 for r in c[:-1])
            for c in options
        ]
        good_enough = 0.9 * min(max(scores), 1.0)
        chunks = next(c for c, s in zip(options, scores) if s >= good_enough)
    positions: dict[str, Point] = {}
    top = 0.0
    for chunk in chunks:
        row_height = max(heights[k] for k in chunk)
        middle = top + row_height / 2
        x = 0.0
        for k in chunk:
            y = middle - heights[k] / 2
            for lid in columns[k]:
                w, h = sizes[lid]
                positions[lid] = (x + (widths[k] - w) / 2, y)
                y += h + GAP_Y
            x += widths[k] + gap_x
        top += row_height + row_gap
    return positions
