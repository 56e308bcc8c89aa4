"""Character-level text: windows of T characters of a bundled public-domain text -> the next character.

char_text: x (N, T) int64 character ids (feed an `embedding` layer), y (N,) int64 id of the character that
follows the window; task "sequence-classification" over the vocabulary (`ds.vocab`, one character per id, sorted,
so ids do not depend on the seed). The text is the opening of Shakespeare's *Coriolanus* (assets/data/
coriolanus.txt, about 16 KB, 58 distinct characters): small enough to learn words from in minutes, big enough
that a model cannot simply memorise it in that time.

Train and test windows come from disjoint parts of the text (its first 1 - test_fraction for training, the
rest for testing), because windows drawn from one pool overlap and a test loss on them would measure memory.
The seed picks the window start positions, nothing else.
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np

from ._assets import asset_path
from ._registry import Option, integer, n_option, register, test_fraction_option

TEXT_FILE = "data/coriolanus.txt"


@lru_cache(maxsize=1)
def corpus() -> str:
    """The bundled text, read once (it is immutable, and every load would otherwise re-read it)."""
    return asset_path(TEXT_FILE).read_text(encoding="utf-8")


def vocabulary(text: str) -> list[str]:
    """The text's distinct characters, sorted: id i is vocab[i]."""
    return sorted(set(text))


def encode(vocab: list[str], text: str) -> np.ndarray:
    """int64 ids of `text`; ValueError naming every character outside the vocabulary."""
    if not isinstance(text, str):
        raise TypeError(f"encode: text must be a str, got {type(text).__name__}")
    index = {c: i for i, c in enumerate(vocab)}
    unknown = sorted({c for c in text if c not in index})
    if unknown:
        raise ValueError(
            f"characters outside the vocabulary: {', '.join(map(repr, unknown))} "
            f"(the vocabulary has {len(vocab)} characters: {''.join(vocab)!r})"
        )
    return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))


def decode(vocab: list[str], ids) -> str:
    """The characters of a sequence of ids (the inverse of encode)."""
    return "".join(vocab[int(i)] for i in np.asarray(ids).reshape(-1))


def _windows(ids: np.ndarray, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(len(starts), length) windows of ids and the id after each."""
    x = ids[starts[:, None] + np.arange(length)[None, :]]
    return np.ascontiguousarray(x), ids[starts + length].copy()


def _starts(rng: np.random.Generator, lo: int, hi: int, count: int, length: int, part: str) -> np.ndarray:
    """`count` window starts whose window and next character lie in ids[lo:hi]."""
    last = hi - length - 1  # inclusive: the next character ids[start + length] must be < hi
    if last < lo:
        raise ValueError(
            f"load('char_text'): the {part} part of the text ({hi - lo} characters) is shorter than one window "
            f"(length={length} + 1); lower length or change test_fraction"
        )
    return rng.integers(lo, last + 1, size=count)


@register(
    "char_text",
    kind="sequence",
    task="sequence-classification",
    summary="Shakespeare, character by character: predict the next character of a window",
    options={
        "n": n_option(4000),
        "length": Option(32, integer(1, 1000), "characters T in each input window"),
        "test_fraction": test_fraction_option(0.1),
    },
)
def build_char_text(rng, *, n, length, test_fraction):
    text = corpus()
    vocab = vocabulary(text)
    ids = encode(vocab, text)
    n_test = int(round(n * test_fraction))
    if test_fraction > 0 and n_test == 0:
        n_test = 1
    if n - n_test < 1:
        raise ValueError(f"load('char_text'): n={n} with test_fraction={test_fraction} leaves no training window")
    cut = int(round(len(ids) * (1.0 - test_fraction)))
    x_train, y_train = _windows(ids, _starts(rng, 0, cut, n - n_test, length, "training"), length)
    if n_test:
        x_test, y_test = _windows(ids, _starts(rng, cut, len(ids), n_test, length, "test"), length)
    else:
        x_test, y_test = np.zeros((0, length), np.int64), np.zeros((0,), np.int64)
    return dict(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=len(vocab),
        class_names=[repr(c)[1:-1] for c in vocab],  # '\n' shows as \n, not as a line break
        vocab=vocab,
        decoder=partial(decode, vocab),
        description=f"Coriolanus, {len(text):,d} characters, windows of {length} -> next character",
    )
