"""1-D regression targets for the universal-approximation demos.

x is drawn uniformly from [-1, 1] (shape (N, 1)); y = f(x) + noise (shape (N, 1)), the noise Gaussian with
standard deviation `noise` (f's range is about 1, so `noise` is relative to it). The test set is drawn from the
same interval: these demos show fitting, not extrapolation.
"""

from __future__ import annotations

import numpy as np

from ._registry import DTYPE_OPTION, Option, integer, n_option, noise_option, real, register, test_fraction_option
from .split import check_split_sizes, train_test


def _options() -> dict[str, Option]:
    return {
        "n": n_option(200),
        "noise": noise_option(0.0, "std of Gaussian noise added to y, in [0, 0.5]"),
        "test_fraction": test_fraction_option(0.2),
        "dtype": DTYPE_OPTION,
    }


def _fit_data(name: str, f, rng, n, noise, test_fraction, dtype, description) -> dict:
    check_split_sizes(name, n, test_fraction)
    x = rng.uniform(-1.0, 1.0, size=(n, 1))
    y = f(x) + rng.normal(0.0, 1.0, size=(n, 1)) * noise
    x_train, y_train, x_test, y_test = train_test(x.astype(dtype), y.astype(dtype), test_fraction, rng)
    return dict(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=None,
        feature_names=["x"],
        description=description,
    )


@register(
    "sine",
    kind="regression",
    task="regression",
    summary="y = sin(π·frequency·x) on [-1, 1]",
    options={**_options(), "frequency": Option(1.0, real(0.25, 10.0), "periods of the sine over [-1, 1] (0.25-10)")},
)
def build_sine(rng, *, n, noise, test_fraction, dtype, frequency):
    return _fit_data(
        "sine",
        lambda x: np.sin(np.pi * frequency * x),
        rng,
        n,
        noise,
        test_fraction,
        dtype,
        f"y = sin({frequency:g}·π·x)",
    )


@register(
    "step", kind="regression", task="regression", summary="Heaviside step: y = 1 for x >= 0, else 0", options=_options()
)
def build_step(rng, *, n, noise, test_fraction, dtype):
    return _fit_data(
        "step", lambda x: (x >= 0).astype(np.float64), rng, n, noise, test_fraction, dtype, "y = 1 where x >= 0, else 0"
    )


@register("abs", kind="regression", task="regression", summary="y = |x|", options=_options())
def build_abs(rng, *, n, noise, test_fraction, dtype):
    return _fit_data("abs", np.abs, rng, n, noise, test_fraction, dtype, "y = |x|")


def bump_sum(x: np.ndarray, bumps: int) -> np.ndarray:
    """`bumps` Gaussian bumps of height 1 evenly spaced over [-1, 1] (centres -1 + (2i + 1)/bumps,
    standard deviation a quarter of the spacing, so neighbours barely touch), with the signs
    +, +, -, +, -, -, +, - in turn. A tanh unit makes one edge, so a bump takes about two
    units and the row about 2·bumps: the width scene's target. The signs do not simply
    alternate because an alternating row is nearly a sine, which a few units already fit."""
    centres = -1.0 + (2 * np.arange(bumps) + 1) / bumps
    signs = _BUMP_SIGNS[:bumps]
    width = 0.5 / bumps
    return (signs * np.exp(-0.5 * ((x - centres) / width) ** 2)).sum(axis=-1, keepdims=True)


_BUMP_SIGNS = np.array([1.0, 1.0, -1.0, 1.0, -1.0, -1.0, 1.0, -1.0])


@register(
    "bumps",
    kind="regression",
    task="regression",
    summary="a row of Gaussian bumps of either sign on [-1, 1]",
    options={**_options(), "bumps": Option(4, integer(1, 8), "number of bumps (1-8)")},
)
def build_bumps(rng, *, n, noise, test_fraction, dtype, bumps):
    return _fit_data(
        "bumps",
        lambda x: bump_sum(x, bumps),
        rng,
        n,
        noise,
        test_fraction,
        dtype,
        f"{bumps} Gaussian bumps, signs +, +, -, +, ... in turn",
    )
