"""Type stub for the Cython module neuralviz._native.losses (see losses.pyx).

Floating arrays are C-contiguous float32 or float64, all of one dtype per call (nothing is
cast); labels are int64. Each returns the mean loss; a gradient output may be the
predictions themselves.
"""

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]

def softmax_cross_entropy(
    logits: FloatArray, labels: npt.NDArray[np.int64], grad_out: FloatArray | None = None
) -> float: ...
def bce_with_logits(logits: FloatArray, targets: FloatArray, grad_out: FloatArray | None = None) -> float: ...
def mse(pred: FloatArray, target: FloatArray, grad_out: FloatArray | None = None) -> float: ...
