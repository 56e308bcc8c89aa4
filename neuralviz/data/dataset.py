"""The Dataset container every loader returns, and the conversion of labels into loss targets.

Tasks (what `y` holds, hence which loss fits):

=========================== ============================ ======================= ==============================
task                        x                            y                       typical loss
=========================== ============================ ======================= ==============================
"classification"            (N, F) or (N, C, H, W) float (N,) int64 in [0, K)    "cross_entropy"; "bce" when K=2
"regression"                (N, F) float                 (N, k) float            "mse"
"sequence-classification"   (N, T, F) float / (N, T) ids (N,) int64 in [0, K)    "cross_entropy"
"sequence-regression"       (N, T, F) float              (N, k) float            "mse"
"sequence-labeling"         (N, T, F) float              (N, T) int64 in [0, K)  "cross_entropy" per time step
"reconstruction"            (N, F) or (N, C, H, W) float y is x (the same array)  "mse" (an auto-encoder: x -> x)
"segmentation"              (N, C, H, W) float           (N, H, W) int64 in [0, K) "cross_entropy" per pixel
=========================== ============================ ======================= ==============================

Labels stay integers on the Dataset; `to_targets` / `Dataset.targets` turn them into what a loss wants
(float (N, 1) 0/1 columns for "bce", one-hot rows for "mse" on a classifier).
A "reconstruction" set (an image loader's option ``task="reconstruction"``) keeps its class labels in
`labels_train` / `labels_test` (and `num_classes`, `class_names`): nothing trains on them, but the app colours
an auto-encoder's latent plane by class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .batch_stream import BatchStream

TASKS = (
    "classification",
    "regression",
    "sequence-classification",
    "sequence-regression",
    "sequence-labeling",
    "reconstruction",
    "segmentation",
)
LABEL_TASKS = ("classification", "sequence-classification", "sequence-labeling", "segmentation")
LOSSES = ("cross_entropy", "bce", "mse")


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from an int seed (reproducible), an existing Generator (used as is) or None (seed 0)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        seed = 0
    return np.random.default_rng(seed)


def to_targets(y: np.ndarray, loss: str, num_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """Labels or regression targets converted to what `loss` expects.

    cross_entropy: int64 class labels, unchanged.
    bce: binary labels (N,) -> float (N, 1) column of 0/1 (one sigmoid output unit).
    mse: class labels -> one-hot float rows (N, ..., K); float targets -> cast to dtype.
    """
    y = np.asarray(y)
    if loss not in LOSSES:
        raise ValueError(f"to_targets: unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")
    is_labels = np.issubdtype(y.dtype, np.integer)
    if loss == "cross_entropy":
        if not is_labels:
            raise ValueError(f"to_targets: cross_entropy needs integer class labels, got dtype {y.dtype}")
        return y.astype(np.int64, copy=False)
    if loss == "bce":
        if not is_labels:
            return y.astype(dtype, copy=False)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                f"to_targets: bce needs binary 0/1 labels, got labels in "
                f"[{y.min()}, {y.max()}]; use cross_entropy for {int(y.max()) + 1} classes"
            )
        return y.astype(dtype).reshape(*y.shape, 1) if y.ndim == 1 else y.astype(dtype)
    # mse
    if not is_labels:
        return y.astype(dtype, copy=False)
    if num_classes is None:
        raise ValueError("to_targets: mse on class labels needs num_classes for the one-hot encoding")
    return np.eye(num_classes, dtype=dtype)[y]


@dataclass(eq=False)
class Dataset:
    """A train/test pair of arrays plus what the app and the trainer need to know about them.

    Regenerate exactly with ``neuralviz.data.load(ds.name, seed=ds.seed, **ds.options)``.
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int | None  # None for regression tasks (a reconstruction set keeps its labels' count)
    options: dict[str, Any]  # every option used, defaults filled in (JSON-serialisable)
    seed: int | None = 0  # None when a Generator was passed instead of an int
    kind: str = ""  # "planar" | "regression" | "image" | "sequence"
    feature_names: list[str] | None = None  # per input feature (last axis of x) where meaningful
    class_names: list[str] | None = None  # per class label where meaningful
    vocab: list[str] | None = None  # token id -> word, for token/symbol datasets
    description: str = ""
    decoder: Callable[[np.ndarray], str] | None = field(default=None, repr=False)
    labels_train: np.ndarray | None = field(default=None, repr=False)  # "reconstruction": the class labels
    labels_test: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"Dataset {self.name!r}: unknown task {self.task!r}")

    # ------------------------------------------------------------------ shapes and conveniences
    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example (x without its batch axis), e.g. (2,), (1, 8, 8), (T, F) or (T,)."""
        return tuple(self.x_train.shape[1:])

    @property
    def target_shape(self) -> tuple[int, ...]:
        return tuple(self.y_train.shape[1:])

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        return len(self.x_test)

    @property
    def is_classification(self) -> bool:
        return self.task in LABEL_TASKS

    @property
    def default_loss(self) -> str:
        """'bce' for binary (non-sequence) classification, 'cross_entropy' for other labels, 'mse' otherwise."""
        if self.task == "classification" and self.num_classes == 2:
            return "bce"
        return "cross_entropy" if self.is_classification else "mse"

    @property
    def output_units(self) -> int:
        """Width of the network output that `default_loss` expects (1 for bce, K for cross_entropy)."""
        loss = self.default_loss
        if loss == "bce":
            return 1
        if loss == "cross_entropy":
            return int(self.num_classes)
        return int(np.prod(self.target_shape))

    def labels(self, which: str = "test") -> np.ndarray | None:
        """The int64 class labels of a split: y for a classification task, the kept labels of a reconstruction
        set (what colours an auto-encoder's latent plane), None where there are none."""
        _, y = self.split(which)
        if self.task == "reconstruction":
            return self.labels_train if which == "train" else self.labels_test
        return y if self.task == "classification" else None

    def split(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of 'train' or 'test'."""
        if which == "train":
            return self.x_train, self.y_train
        if which == "test":
            return self.x_test, self.y_test
        raise ValueError(f"Dataset.split: which must be 'train' or 'test', got {which!r}")

    def targets(self, loss: str, which: str = "train") -> np.ndarray:
        """y of a split converted for `loss` (see `to_targets`), in the dtype of x where x is float."""
        x, y = self.split(which)
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
        return to_targets(y, loss, self.num_classes, dtype)

    # ------------------------------------------------------------------ iteration and checks
    def batches(
        self,
        batch_size: int,
        seed: int | np.random.Generator | None = None,
        shuffle: bool = True,
        *,
        rng: np.random.Generator | None = None,
        which: str = "train",
        drop_last: bool = False,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yields (x, y) minibatches of one pass over a split, for scripts that want one epoch at a time.

        The order is the first epoch of ``BatchStream(n, batch_size, seed=...)`` (the one source of minibatch
        order): `seed` (alias `rng`) as an int gives the same order on every call; a Generator advances, so
        passing the same Generator each epoch gives a fresh order per epoch; None uses the dataset's own seed.
        Unlike the stream (and Trainer.fit), one pass ends with the last, smaller batch, kept unless drop_last.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"Dataset.batches: batch_size must be a positive integer, got {batch_size!r}")
        if rng is not None and seed is not None:
            raise ValueError("Dataset.batches: pass either seed or rng, not both")
        x, y = self.split(which)
        n = len(x)
        if shuffle and n:
            source = rng if rng is not None else (seed if seed is not None else self.seed)
            order = BatchStream(n, batch_size, seed=make_rng(source)).take(n)
        else:
            order = np.arange(n)
        stop = n - n % batch_size if drop_last else n
        # Validation above runs at the call; only the slicing is lazy.
        return ((x[order[i : i + batch_size]], y[order[i : i + batch_size]]) for i in range(0, stop, batch_size))

    def check_finite(self) -> None:
        """Raise ValueError naming the first array that holds NaN or inf."""
        for label in ("x_train", "y_train", "x_test", "y_test"):
            a = getattr(self, label)
            if np.issubdtype(a.dtype, np.inexact) and not np.isfinite(a).all():
                bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
                raise ValueError(f"dataset {self.name!r}: {label} holds {bad} non-finite value(s) (NaN or inf)")

    def decode(self, ids: Any) -> str | list[str]:
        """Text of one example (story tokens, copy-task symbols); a batch gives a list of strings.

        Accepts token ids (T,) / (N, T) or one-hot rows (T, V) / (N, T, V).
        """
        if self.decoder is None:
            raise ValueError(f"dataset {self.name!r} has no vocabulary to decode")
        ids = np.asarray(ids)
        if np.issubdtype(ids.dtype, np.floating):  # one-hot (or soft) rows -> ids
            ids = ids.argmax(axis=-1)
        if ids.ndim == 1:
            return self.decoder(ids)
        if ids.ndim == 2:
            return [self.decoder(row) for row in ids]
        raise ValueError(f"Dataset.decode: expected ids of shape (T,) or (N, T), got {ids.shape}")

    def __repr__(self) -> str:
        classes = f", num_classes={self.num_classes}" if self.num_classes is not None else ""
        return (
            f"Dataset({self.name!r}, task={self.task!r}, x_train={self.x_train.shape} {self.x_train.dtype}, "
            f"y_train={self.y_train.shape} {self.y_train.dtype}, x_test={self.x_test.shape}{classes})"
        )
