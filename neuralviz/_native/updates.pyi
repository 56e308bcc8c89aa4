"""Type stub for the Cython module neuralviz._native.updates (see updates.pyx).

Floating arrays are C-contiguous float32 or float64, all of one dtype per call (nothing is
cast). Every update is in place on the parameter and its state arrays.
"""

from typing import SupportsIndex

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]

def sgd_update(param: FloatArray, grad: FloatArray, lr: float, weight_decay: float = 0.0, l1: float = 0.0) -> None: ...
def momentum_update(
    param: FloatArray,
    grad: FloatArray,
    velocity: FloatArray,
    lr: float,
    momentum: float,
    nesterov: bool,
    weight_decay: float = 0.0,
    l1: float = 0.0,
) -> None: ...
def adam_update(
    param: FloatArray,
    grad: FloatArray,
    m: FloatArray,
    v: FloatArray,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: SupportsIndex,
    weight_decay: float = 0.0,
    l1: float = 0.0,
) -> None: ...
def rmsprop_update(
    param: FloatArray,
    grad: FloatArray,
    sq: FloatArray,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float = 0.0,
    l1: float = 0.0,
) -> None: ...
