"""Type stub for the Cython module neuralviz._fused (see _fused.pyx for the full contract).

Floating arrays are C-contiguous float32 or float64, all of one dtype per call (nothing is
cast); labels are int64; the colour table and image are uint8. Optional outputs default to
a new array; an output may be its input (in place).
"""

from typing import SupportsIndex

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]

def relu_forward(x: FloatArray, out: FloatArray | None = None) -> FloatArray: ...
def relu_backward(y_or_x: FloatArray, grad_y: FloatArray, grad_x: FloatArray | None = None) -> FloatArray: ...
def leaky_relu_forward(x: FloatArray, slope: float, out: FloatArray | None = None) -> FloatArray: ...
def leaky_relu_backward(
    x: FloatArray, slope: float, grad_y: FloatArray, grad_x: FloatArray | None = None
) -> FloatArray: ...
def tanh_forward(x: FloatArray, out: FloatArray | None = None) -> FloatArray: ...
def tanh_backward(y: FloatArray, grad_y: FloatArray, grad_x: FloatArray | None = None) -> FloatArray: ...
def sigmoid_forward(x: FloatArray, out: FloatArray | None = None) -> FloatArray: ...
def sigmoid_backward(y: FloatArray, grad_y: FloatArray, grad_x: FloatArray | None = None) -> FloatArray: ...
def softmax_cross_entropy(
    logits: FloatArray, labels: npt.NDArray[np.int64], grad_out: FloatArray | None = None
) -> float: ...
def bce_with_logits(logits: FloatArray, targets: FloatArray, grad_out: FloatArray | None = None) -> float: ...
def mse(pred: FloatArray, target: FloatArray, grad_out: FloatArray | None = None) -> float: ...
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
def colormap_rgba(
    values: FloatArray,
    lut: npt.NDArray[np.uint8],
    vmin: float,
    vmax: float,
    out: npt.NDArray[np.uint8] | None = None,
) -> npt.NDArray[np.uint8]: ...
