"""Layer types by spec name (DESIGN.md §4). One concept per module."""

from __future__ import annotations

from .activations import LeakyReLU, ReLU, Sigmoid, Step, Tanh
from .base import Layer, Parameter, SpecError
from .clockwork import Clockwork
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .dense import Dense
from .embedding import Embedding
from .memory import MemoryNetwork
from .merge import Add, Concat
from .noise import Dropout, GaussianNoise
from .pde_refine import PdeRefine
from .polynomial import Polynomial
from .pool import AvgPool2d, MaxPool2d
from .recurrent import GRU, LSTM, RNN
from .reshape import Flatten, Reshape
from .stochastic_dense import StochasticDense
from .upsample import Upsample

LAYER_TYPES: dict[str, type[Layer]] = {
    cls.type: cls
    for cls in (
        Dense,
        Conv2d,
        ConvTranspose2d,
        Upsample,
        MaxPool2d,
        AvgPool2d,
        Flatten,
        Reshape,
        ReLU,
        LeakyReLU,
        Tanh,
        Sigmoid,
        Step,
        Dropout,
        GaussianNoise,
        Add,
        Concat,
        RNN,
        LSTM,
        GRU,
        Clockwork,
        Embedding,
        Polynomial,
        MemoryNetwork,
        StochasticDense,
        PdeRefine,
    )
}

__all__ = ["Layer", "Parameter", "SpecError", "LAYER_TYPES"]
