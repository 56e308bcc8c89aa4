"""Pictures of engine data, with no Qt: colour maps, the input grids of decision-boundary pictures, the
output maps of untrained networks (architecture as a prior) and loss surfaces over two weights.

Each module's public names are re-exported here, one import line per module.
"""

from .colour import colormap_rgba
from .grid import PLAYGROUND_HALF_WIDTH, grid_points, input_grid, square_extent
from .prior import PRIOR_EXTENT, auto_contrast, prior_maps
from .surface import Descent, ParameterPlane, descend, loss_surface, random_direction

__all__ = [
    "colormap_rgba",
    "grid_points",
    "input_grid",
    "square_extent",
    "PLAYGROUND_HALF_WIDTH",
    "prior_maps",
    "auto_contrast",
    "PRIOR_EXTENT",
    "ParameterPlane",
    "Descent",
    "loss_surface",
    "descend",
    "random_direction",
]
