"""Letting a trained sequence model run on its own output: free-running forecasts and sampled text.

A network in neuralviz has a fixed input length T, so both functions slide a window of the last T values (or
characters) along: after the prompt, each prediction is appended and becomes part of the next window. That is
the lecture's point about forecasting: the model now lives on its own mistakes, and an error made early is fed
back and can grow, which teacher-forced training never shows.

- free_run(net, prompt, steps): a next-value regressor (the `sine_forecast` networks: input (T, 1), output
  (horizon,) of which the first value is the next one, or (T, 1) per-step predictions whose last is the next).
- sample_text(net, vocab, prompt, length, temperature, seed): a next-character classifier (the `char_text`
  networks: input (T,) character ids or (T, V) one-hot rows, output (V,) logits).
"""

from __future__ import annotations

import numbers

import numpy as np

from .data.text import encode

__all__ = ["free_run", "sample_text"]


# ---------------------------------------------------------------------------------------------- free run


def _next_value_reader(net):
    """How to read the next value from an output batch; ValueError if the net is no next-value regressor."""
    t = net.input_shape[0]
    if len(net.input_shape) != 2 or net.input_shape[1] != 1:
        raise ValueError(
            f"free_run: the network must take sequences of one value per step, input shape (T, 1); "
            f"it takes {net.input_shape}"
        )
    out = tuple(net.output_shape)
    if len(out) == 1 and out[0] >= 1:
        return lambda y: y[:, 0]  # (horizon,): the first is the next value
    if out == (t, 1):
        return lambda y: y[:, -1, 0]  # per-step predictions: the last step's is the next value
    raise ValueError(
        f"free_run: the network's output {out} is not a next-value forecast; expected (horizon,) or ({t}, 1)"
    )


def _check_steps(fn: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{fn}: {name} must be an integer >= 0, got {value!r:.60}")
    return int(value)


def free_run(net, prompt, steps: int) -> np.ndarray:
    """The `steps` values the network generates after `prompt`, feeding each prediction back as input.

    prompt: (P,) one sequence, or (N, P) or (N, P, 1) a batch, with P >= the
    network's T; only its last T values seed the window. Returns (steps,) or (N, steps) in the network's
    dtype. Deterministic: the network runs in evaluation mode.
    """
    steps = _check_steps("free_run", "steps", steps)
    read = _next_value_reader(net)
    x = np.asarray(prompt)
    if x.dtype.kind not in "fiu":
        raise ValueError(f"free_run: prompt must be numeric, got dtype {x.dtype}")
    single = x.ndim == 1
    if single:
        x = x.reshape(1, -1)
    elif x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    if x.ndim != 2:
        raise ValueError(f"free_run: prompt must have shape (P,), (N, P) or (N, P, 1), got {np.shape(prompt)}")
    t = net.input_shape[0]
    if x.shape[1] < t:
        raise ValueError(f"free_run: the prompt has {x.shape[1]} values but the network reads windows of {t}")
    if not np.all(np.isfinite(x)):
        raise ValueError("free_run: the prompt holds NaN or infinite values")
    window = np.ascontiguousarray(x[:, -t:], dtype=net.dtype)
    out = np.empty((x.shape[0], steps), dtype=net.dtype)
    for k in range(steps):
        out[:, k] = read(net.forward(window[:, :, None]))
        window = np.concatenate([window[:, 1:], out[:, k : k + 1]], axis=1)
    return out[0] if single else out


# ---------------------------------------------------------------------------------------------- sampled text


def _check_vocab(vocab) -> list[str]:
    if isinstance(vocab, str) or not all(isinstance(c, str) and len(c) == 1 for c in vocab):
        raise ValueError("sample_text: vocab must be a list of single characters (the dataset's .vocab)")
    vocab = list(vocab)
    if len(set(vocab)) != len(vocab):
        raise ValueError("sample_text: vocab lists a character twice")
    return vocab


def _encoder(net, size: int):
    """ids (N, T) -> the network's input: ids themselves, or one-hot rows; ValueError if neither fits."""
    shape = tuple(net.input_shape)
    if len(shape) == 1:
        return lambda ids: ids
    if len(shape) == 2 and shape[1] == size:
        eye = np.eye(size, dtype=net.dtype)
        return lambda ids: eye[ids]
    raise ValueError(
        f"sample_text: the network's input {shape} fits neither character ids (T,) nor one-hot rows (T, {size})"
    )


def _temperature(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (0 <= value < float("inf")):
        raise ValueError(f"sample_text: temperature must be a finite number >= 0, got {value!r:.60}")
    return float(value)


def _choose(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """argmax at temperature 0, else a draw from softmax(logits / temperature)."""
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits.astype(np.float64) / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def sample_text(net, vocab, prompt: str, length: int, temperature: float = 1.0, seed: int = 0) -> str:
    """`length` characters the network writes after `prompt`, each drawn from its next-character distribution.

    The net reads windows of T characters and outputs logits over `vocab`. A prompt shorter than T is padded
    on the left with spaces (when the vocabulary has one), as if the text started after a blank. temperature
    0 picks the most likely character every time; 1 samples the model's own distribution; higher is wilder.
    The same seed gives the same text. ValueError naming the characters of the prompt outside the vocabulary.
    """
    vocab = _check_vocab(vocab)
    length = _check_steps("sample_text", "length", length)
    temperature = _temperature(temperature)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"sample_text: seed must be an integer >= 0, got {seed!r:.60}")
    if tuple(net.output_shape) != (len(vocab),):
        raise ValueError(
            f"sample_text: the network outputs {tuple(net.output_shape)}, not one logit per character of the "
            f"{len(vocab)}-character vocabulary"
        )
    to_input = _encoder(net, len(vocab))
    ids = list(encode(vocab, prompt))
    t = net.input_shape[0]
    if len(ids) < t:
        if " " not in vocab:
            raise ValueError(f"sample_text: the prompt has {len(ids)} characters; the network reads {t}")
        ids = [vocab.index(" ")] * (t - len(ids)) + ids
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(length):
        window = np.asarray(ids[-t:], dtype=np.int64)[None, :]
        out.append(_choose(np.asarray(net.forward(to_input(window)))[0], temperature, rng))
        ids.append(out[-1])
    return "".join(vocab[i] for i in out)
