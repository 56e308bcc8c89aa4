"""Pictures of engine data, with no Qt: colour maps and the input grids of decision-boundary pictures.

Each module's public names are re-exported here, one import line per module.
"""

from .colour import colormap_rgba
from .grid import PLAYGROUND_HALF_WIDTH, grid_points, input_grid, square_extent

__all__ = ["colormap_rgba", "grid_points", "input_grid", "square_extent", "PLAYGROUND_HALF_WIDTH"]
