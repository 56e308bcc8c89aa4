"""Image classification data, NCHW float in [0, 1] with int64 labels.

- digits: the 1797 real 8x8 handwritten digits scikit-learn ships (UCI optdigits test set), bundled in
  assets/data/digits.csv.gz, so no scikit-learn is needed at run time.
- shapes: synthetic squares, discs, triangles and crosses at random positions and sizes: a CNN with pooling
  learns them from any position, a dense network has to learn every position separately.
- mnist / fashion_mnist: read from IDX files the user already has (nothing is downloaded).

Every image set takes ``task="reconstruction"``: then y is x (an auto-encoder learns x -> x with "mse") and the
class labels stay on the Dataset as labels_train / labels_test, to colour the latent plane by class.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache

import numpy as np

from ._assets import asset_path
from ._registry import (
    DTYPE_OPTION,
    Option,
    choice,
    directory,
    integer,
    n_option,
    noise_option,
    optional_integer,
    register,
    test_fraction_option,
)
from .idx import read_idx
from .split import check_split_sizes, train_test

# ---------------------------------------------------------------------------------------------- task
TASK_OPTION = Option(
    "classification",
    choice("classification", "reconstruction"),
    "'classification' (y: the labels) or 'reconstruction' (y is x, for an auto-encoder; labels kept aside)",
)


def as_task(parts: dict, task: str) -> dict:
    """A builder's arrays for `task`: unchanged for classification; for reconstruction y is x (the same arrays,
    so the targets cannot drift from the inputs) and the labels move to labels_train / labels_test."""
    if task != "reconstruction":
        return parts
    return dict(
        parts,
        task=task,
        y_train=parts["x_train"],
        y_test=parts["x_test"],
        labels_train=parts["y_train"],
        labels_test=parts["y_test"],
    )


# ---------------------------------------------------------------------------------------------- digits

DIGITS_FILE = "data/digits.csv.gz"
DIGITS_COUNT = 1797


@lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    """The bundled table: 1797 rows of 64 pixel values (0..16, row-major 8x8) followed by the label."""
    with gzip.open(asset_path(DIGITS_FILE), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (DIGITS_COUNT, 65):
        raise ValueError(f"{DIGITS_FILE}: expected {DIGITS_COUNT} rows of 65 values, got {table.shape}")
    table.flags.writeable = False
    return table


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """All 1797 digits: images (1797, 1, 8, 8) float64 in [0, 1] and labels (1797,) int64, in file order."""
    table = _digits_table()
    return table[:, :64].reshape(-1, 1, 8, 8) / 16.0, table[:, 64].copy()


@register(
    "digits",
    kind="image",
    task="classification",
    summary="real 8x8 handwritten digits (1797 images, 10 classes)",
    options={
        "n": Option(
            None, optional_integer(20, DIGITS_COUNT), f"use a random subset of n images (default: all {DIGITS_COUNT})"
        ),
        "test_fraction": test_fraction_option(0.2),
        "dtype": DTYPE_OPTION,
        "task": TASK_OPTION,
    },
)
def build_digits(rng, *, n, test_fraction, dtype, task):
    x, y = digits_arrays()
    if n is not None:
        keep = np.sort(rng.permutation(DIGITS_COUNT)[:n])
        x, y = x[keep], y[keep]
    x_train, y_train, x_test, y_test = train_test(x.astype(dtype), y, test_fraction, rng, stratify=True)
    parts = dict(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=10,
        class_names=[str(d) for d in range(10)],
        description="UCI optdigits (via scikit-learn): 8x8 counts 0..16 scaled to [0, 1]",
    )
    return as_task(parts, task)


# ---------------------------------------------------------------------------------------------- shapes

SHAPE_NAMES = ["square", "circle", "triangle", "cross"]
_SUPERSAMPLE = 4  # sub-pixels per pixel side: anti-aliased edges, so small shapes keep their outline


def _shape_mask(kind: int, u: np.ndarray, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Boolean coverage of shape `kind` of half-size r at sub-pixel offsets (u right, v down) from its centre."""
    if kind == 0:  # square, side 1.7 r (area close to the disc's)
        return np.maximum(np.abs(u), np.abs(v)) <= 0.85 * r
    if kind == 1:  # disc
        return u * u + v * v <= r * r
    if kind == 2:  # triangle, apex up at (0, -r), base at v = 0.7 r
        return (v <= 0.7 * r) & (np.abs(u) <= (v + r) * (0.95 / 1.7))
    thickness = np.maximum(0.8, 0.25 * r)  # cross: a plus sign
    return ((np.abs(u) <= thickness) & (np.abs(v) <= r)) | ((np.abs(v) <= thickness) & (np.abs(u) <= r))


def render_shapes(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Images (N, size, size) in [0, 1]: shape labels[i] with random half-size in [0.2, 0.4]·size, random centre
    keeping it inside the frame, random brightness in [0.6, 1]."""
    n = len(labels)
    r = rng.uniform(0.2, 0.4, size=n) * size
    cx = rng.uniform(r + 0.5, size - 0.5 - r)
    cy = rng.uniform(r + 0.5, size - 0.5 - r)
    brightness = rng.uniform(0.6, 1.0, size=n)
    sub = (np.arange(size * _SUPERSAMPLE) + 0.5) / _SUPERSAMPLE  # sub-pixel centres in pixel units
    images = np.empty((n, size, size))
    for i in range(n):
        u = sub[None, :] - cx[i]
        v = sub[:, None] - cy[i]
        mask = _shape_mask(int(labels[i]), u, v, r[i])
        coverage = mask.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE).mean(axis=(1, 3))
        images[i] = brightness[i] * coverage
    return images


@register(
    "shapes",
    kind="image",
    task="classification",
    summary="synthetic squares, circles, triangles and crosses at random positions and sizes",
    options={
        "n": n_option(1000, lo=8, hi=200_000),
        "size": Option(16, integer(8, 64), "image side in pixels (8-64)"),
        "noise": noise_option(0.1, "std of Gaussian pixel noise in [0, 0.5] (then clipped to [0, 1])"),
        "test_fraction": test_fraction_option(0.2),
        "dtype": DTYPE_OPTION,
        "task": TASK_OPTION,
    },
)
def build_shapes(rng, *, n, size, noise, test_fraction, dtype, task):
    check_split_sizes("shapes", n, test_fraction)
    y = rng.permutation(np.arange(n) % len(SHAPE_NAMES))
    images = render_shapes(y, size, rng)
    images = np.clip(images + rng.normal(0.0, 1.0, size=images.shape) * noise, 0.0, 1.0)
    x = images[:, None, :, :].astype(dtype)
    x_train, y_train, x_test, y_test = train_test(x, y.astype(np.int64), test_fraction, rng, stratify=True)
    parts = dict(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=len(SHAPE_NAMES),
        class_names=list(SHAPE_NAMES),
        description=f"{size}x{size} shapes, pixel noise {noise:g}",
    )
    return as_task(parts, task)


# ---------------------------------------------------------------------------------------------- MNIST family

# The four files of a distribution; each may also be spelled with a dot (train-images.idx3-ubyte) or gzipped.
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def _spellings(stem: str) -> list[str]:
    dotted = stem.replace("-idx", ".idx")
    return [stem, stem + ".gz", dotted, dotted + ".gz"]


def find_idx_files(dataset: str, folder: str) -> dict[str, str]:
    """Paths of the four IDX files in `folder`; FileNotFoundError naming the folder and the expected names."""
    expected = ", ".join(f"{stem}[.gz]" for stem in IDX_FILES.values())
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"load({dataset!r}): directory {folder!r} does not exist; it should hold {expected}")
    found, missing = {}, []
    for role, stem in IDX_FILES.items():
        hits = [os.path.join(folder, s) for s in _spellings(stem) if os.path.isfile(os.path.join(folder, s))]
        if hits:
            found[role] = hits[0]
        else:
            missing.append(stem + "[.gz]")
    if missing:
        raise FileNotFoundError(
            f"load({dataset!r}): missing {', '.join(missing)} in {folder!r}; the directory must hold {expected}"
        )
    return found


def _read_images_labels(images_path: str, labels_path: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"IDX file {images_path}: expected uint8 images of shape (N, H, W), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"IDX file {labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(f"IDX files {images_path} and {labels_path}: {len(images)} images but {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"IDX file {labels_path}: label {int(labels.max())} is outside 0..9")
    return images, labels.astype(np.int64)


def _subsample(x: np.ndarray, y: np.ndarray, count: int | None, rng: np.random.Generator):
    if count is None or count >= len(x):
        return x, y
    keep = np.sort(rng.permutation(len(x))[:count])
    return x[keep], y[keep]


def _load_idx_dataset(dataset: str, rng, path, n_train, n_test, dtype, class_names) -> dict:
    files = find_idx_files(dataset, path)
    x_train, y_train = _read_images_labels(files["train_images"], files["train_labels"])
    x_test, y_test = _read_images_labels(files["test_images"], files["test_labels"])
    x_train, y_train = _subsample(x_train, y_train, n_train, rng)
    x_test, y_test = _subsample(x_test, y_test, n_test, rng)
    scale = np.asarray(1.0 / 255.0, dtype=dtype)

    def to_float(images):  # (N, H, W) uint8 -> (N, 1, H, W) in [0, 1]
        return np.ascontiguousarray(images[:, None, :, :].astype(dtype) * scale)

    return dict(
        x_train=to_float(x_train),
        y_train=y_train,
        x_test=to_float(x_test),
        y_test=y_test,
        num_classes=10,
        class_names=class_names,
        description=f"IDX files from {path}, pixels scaled to [0, 1]",
    )


def _idx_options() -> dict[str, Option]:
    files = ", ".join(IDX_FILES.values())
    return {
        "path": Option(None, directory, f"directory holding {files} (each optionally .gz)"),
        "n_train": Option(None, optional_integer(1), "use a random subset of the training images"),
        "n_test": Option(None, optional_integer(1), "use a random subset of the test images"),
        "dtype": DTYPE_OPTION,
        "task": TASK_OPTION,
    }


@register(
    "mnist",
    kind="image",
    task="classification",
    summary="MNIST digits from your own IDX files",
    options=_idx_options(),
    requires=("path",),
)
def build_mnist(rng, *, path, n_train, n_test, dtype, task):
    parts = _load_idx_dataset("mnist", rng, path, n_train, n_test, dtype, [str(d) for d in range(10)])
    return as_task(parts, task)


@register(
    "fashion_mnist",
    kind="image",
    task="classification",
    summary="Fashion-MNIST from your own IDX files",
    options=_idx_options(),
    requires=("path",),
)
def build_fashion_mnist(rng, *, path, n_train, n_test, dtype, task):
    parts = _load_idx_dataset("fashion_mnist", rng, path, n_train, n_test, dtype, list(FASHION_CLASSES))
    return as_task(parts, task)
