"""Type stub for the Cython module neuralviz._native.colour (see colour.pyx).

Values are C-contiguous float32 or float64; the colour table and the image are uint8.
"""

import numpy as np
import numpy.typing as npt

def colormap_rgba(
    values: npt.NDArray[np.floating],
    lut: npt.NDArray[np.uint8],
    vmin: float,
    vmax: float,
    out: npt.NDArray[np.uint8] | None = None,
) -> npt.NDArray[np.uint8]: ...
