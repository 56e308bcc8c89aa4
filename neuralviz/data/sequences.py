"""Sequence tasks for recurrent networks, batch-first: x is (N, T, F) like the layer graph's recurrent layers.

- sine_forecast: a noisy sum of sines; predict the next `horizon` clean values. x (N, T, 1), y (N, horizon).
- adding: Hochreiter & Schmidhuber's adding problem. x (N, T, 2): channel 0 uniform values in [0, 1], channel 1
  markers, exactly two 1s (one in each half of the sequence); y (N, 1) is the sum of the two marked values.
  Predicting the constant 1 gives an MSE of about 1/6; beating that means the network remembers across time.
- copy: remember `length` symbols across `delay` steps (see build_copy for the exact layout).
- two_lags: random ±1 inputs x (N, T, 1); y (N, 1) is the input `short` steps before the end plus the one `long`
  steps before it: a short and a long dependency in one task (the clockwork RNN's race, preset time-scales).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._registry import DTYPE_OPTION, Option, choice, integer, n_option, noise_option, register, test_fraction_option
from .split import check_split_sizes, train_test


def _base_options(length: int) -> dict[str, Option]:
    return {
        "n": n_option(1000),
        "length": Option(length, integer(2, 1000), "time steps T of each input sequence"),
        "test_fraction": test_fraction_option(0.2),
        "dtype": DTYPE_OPTION,
    }


def _finish(x, y, rng, test_fraction, stratify=False, **fields) -> dict:
    x_train, y_train, x_test, y_test = train_test(x, y, test_fraction, rng, stratify=stratify)
    return dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, **fields)


# ---------------------------------------------------------------------------------------------- sine forecast


def sum_of_sines(n: int, steps: int, components: int, rng: np.random.Generator) -> np.ndarray:
    """(n, steps) signals Σ_k a_k sin(2π t / P_k + φ_k) with weights a_k summing to 1 (so |signal| <= 1),
    periods P_k uniform in [4, 24] time steps and phases uniform."""
    amplitude = rng.uniform(0.2, 1.0, size=(n, components, 1))
    amplitude /= amplitude.sum(axis=1, keepdims=True)
    period = rng.uniform(4.0, 24.0, size=(n, components, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, components, 1))
    t = np.arange(steps)[None, None, :]
    return (amplitude * np.sin(2 * np.pi * t / period + phase)).sum(axis=1)


@register(
    "sine_forecast",
    kind="sequence",
    task="sequence-regression",
    summary="sum of sines: predict the next value(s) from the last T",
    options={
        **_base_options(20),
        "horizon": Option(1, integer(1, 50), "how many future values to predict"),
        "components": Option(2, integer(1, 5), "sines per signal (1-5)"),
        "noise": noise_option(0.0, "std of Gaussian noise on the inputs (targets stay clean)"),
    },
)
def build_sine_forecast(rng, *, n, length, test_fraction, dtype, horizon, components, noise):
    check_split_sizes("sine_forecast", n, test_fraction)
    signal = sum_of_sines(n, length + horizon, components, rng)
    x = signal[:, :length, None] + rng.normal(0.0, 1.0, size=(n, length, 1)) * noise
    y = signal[:, length:]
    return _finish(
        x.astype(dtype),
        y.astype(dtype),
        rng,
        test_fraction,
        num_classes=None,
        feature_names=["value"],
        description=f"{components} sine(s), T={length}, predict {horizon} step(s) ahead",
    )


# ---------------------------------------------------------------------------------------------- adding


def adding_problem(n: int, steps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    values = rng.uniform(0.0, 1.0, size=(n, steps))
    half = steps // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, steps, size=n)
    markers = np.zeros((n, steps))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=2), y[:, None]


@register(
    "adding",
    kind="sequence",
    task="sequence-regression",
    summary="adding problem: sum the two marked values of a long sequence",
    options=_base_options(20),
)
def build_adding(rng, *, n, length, test_fraction, dtype):
    check_split_sizes("adding", n, test_fraction)
    x, y = adding_problem(n, length, rng)
    return _finish(
        x.astype(dtype),
        y.astype(dtype),
        rng,
        test_fraction,
        num_classes=None,
        feature_names=["value", "marker"],
        description=f"adding problem, T={length}",
    )


# ---------------------------------------------------------------------------------------------- copy


def symbol_names(k: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(k)] if k <= 26 else [f"s{i}" for i in range(k)]


def copy_task(
    n: int, symbols: int, length: int, delay: int, target: str, rng: np.random.Generator, lead: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of the inputs (n, T) and the targets; see build_copy. `lead` blanks come first
    (no extra draws: lead=0 gives exactly the layout without it)."""
    blank, go = symbols, symbols + 1
    data = rng.integers(0, symbols, size=(n, length))
    steps = lead + length + delay + (length if target == "sequence" else 0)
    tokens = np.full((n, steps), blank)
    tokens[:, lead : lead + length] = data
    tokens[:, lead + length + delay - 1] = go
    if target == "last":
        return tokens, data[:, 0].copy()
    labels = np.full((n, steps), blank)
    labels[:, lead + length + delay :] = data
    return tokens, labels


def _decode_symbols(vocab: list[str], ids: np.ndarray) -> str:
    return " ".join(vocab[int(i)] for i in ids)


@register(
    "copy",
    kind="sequence",
    task="sequence-labeling",
    summary="copy task: repeat a few symbols after a delay",
    options={
        "n": n_option(1000),
        "symbols": Option(8, integer(2, 64), "alphabet size K (2-64)"),
        "length": Option(5, integer(1, 100), "symbols L to remember"),
        "delay": Option(10, integer(1, 1000), "steps D after the symbols: D - 1 blanks, then the go marker"),
        "lead": Option(0, integer(0, 1000), "blank steps before the symbols (the symbols start at step lead)"),
        "target": Option(
            "sequence",
            choice("sequence", "last"),
            "'sequence': label every step; 'last': classify the first symbol at the end",
        ),
        "test_fraction": test_fraction_option(0.2),
        "dtype": DTYPE_OPTION,
    },
)
def build_copy(rng, *, n, symbols, length, delay, target, test_fraction, dtype, lead=0):
    """Inputs are one-hot rows over K + 2 tokens: the K symbols, blank (id K) and go (id K + 1).

    With lead = B > 0 the sequence starts with B blanks and every T below grows by B (a symbol then sits at
    an arbitrary step, not at the first one, where a clockwork layer's groups all update at once).

    target="sequence" (task "sequence-labeling", T = 2L + D): the L symbols, D - 1 blanks, the go marker, L
    blanks; y (N, T) int64 is blank (class K) everywhere except the last L steps, which must repeat the symbols.
    num_classes = K + 1. Use an LSTM with return_sequences and a per-step dense layer; always answering blank
    already scores (L + D)/T accuracy, so watch the last L steps.

    target="last" (task "sequence-classification", T = L + D): the L symbols, D - 1 blanks, the go marker;
    y (N,) int64 is the first symbol (K classes), which the final state must carry across L + D - 1 steps.
    """
    check_split_sizes("copy", n, test_fraction)
    tokens, y = copy_task(n, symbols, length, delay, target, rng, lead)
    x = np.eye(symbols + 2, dtype=dtype)[tokens]
    names = symbol_names(symbols)
    vocab = names + ["_", ">"]
    fields = dict(
        num_classes=symbols + 1 if target == "sequence" else symbols,
        class_names=names + ["blank"] if target == "sequence" else names,
        feature_names=names + ["blank", "go"],
        vocab=vocab,
        description=f"copy {length} of {symbols} symbols across a delay of {delay}",
    )
    ds = _finish(x, y.astype(np.int64), rng, test_fraction, **fields)
    ds["decoder"] = partial(_decode_symbols, vocab)
    if target == "last":
        ds["task"] = "sequence-classification"
    return ds


# ---------------------------------------------------------------------------------------------- two lags


def two_lags_task(n: int, steps: int, short: int, long: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random ±1 inputs (n, steps) and y (n, 1) = x[T-1-short] + x[T-1-long]: one short and one long dependency."""
    x = rng.choice(np.array([-1.0, 1.0]), size=(n, steps))
    y = x[:, steps - 1 - short] + x[:, steps - 1 - long]
    return x, y[:, None]


@register(
    "two_lags",
    kind="sequence",
    task="sequence-regression",
    summary="two lags: at the end, add the input from `short` and from `long` steps ago",
    options={
        **_base_options(33),
        "short": Option(1, integer(0, 999), "the short lag (steps back from the last step)"),
        "long": Option(32, integer(1, 999), "the long lag; must be > short and < length"),
    },
)
def build_two_lags(rng, *, n, length, test_fraction, dtype, short, long):
    """x (N, T, 1) random ±1, y (N, 1) = x[T-1-short] + x[T-1-long]: one task with a short and a long
    dependency, so a net must hold one value for a few steps and another for many. Each term is ±1 and
    independent, so predicting 0 scores an MSE of 2 and getting only the short term right scores 1.
    The default long lag (T - 1) puts the far value at step 0, where every clockwork group updates."""
    if not short < long:
        raise ValueError(f"dataset 'two_lags': option short={short} must be smaller than long={long}")
    if long >= length:
        raise ValueError(f"dataset 'two_lags': option long={long} must be smaller than length={length}")
    check_split_sizes("two_lags", n, test_fraction)
    x, y = two_lags_task(n, length, short, long, rng)
    return _finish(
        x[:, :, None].astype(dtype),
        y.astype(dtype),
        rng,
        test_fraction,
        num_classes=None,
        feature_names=["value"],
        description=f"x[T-1-{short}] + x[T-1-{long}], T={length}",
    )
