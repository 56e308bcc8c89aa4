"""Datasets read from the user's own files (mnist, fashion_mnist): which need a folder, whether a folder
holds their files, and the folder picker (a QFileDialog; replaceable, since tests cannot click a dialog).

The studio asks for the folder when such a dataset is chosen (or takes the one remembered in UserPrefs)
and checks it before building the run, so the user reads which files are missing instead of the engine's
"option 'path' is required" and a panel that snaps back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtWidgets import QFileDialog, QWidget

from ... import data as nvdata

# the four IDX files of MNIST and Fashion-MNIST (the same names for both), each optionally gzipped
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

FolderPicker = Callable[[QWidget, str], str]  # (parent, dialog title) -> folder, '' when cancelled


def needs_folder(dataset: str) -> bool:
    """Whether `dataset` is read from files the user has to point at (its 'path' option is required)."""
    return "path" in nvdata.describe(dataset).get("required", ())


def missing_files(folder: str) -> list[str]:
    """The IDX files (with or without .gz) that `folder` lacks; all of them when it is not a folder."""
    root = Path(folder)
    if not root.is_dir():
        return list(IDX_FILES)
    return [f for f in IDX_FILES if not ((root / f).is_file() or (root / f"{f}.gz").is_file())]


def missing_message(dataset: str, folder: str, missing: list[str]) -> str:
    return (
        f"The folder {folder} does not hold the {dataset} files: missing {', '.join(missing)} (each may end in "
        f".gz). Download the four IDX files of {dataset} into one folder and choose it again; the dataset "
        "was not changed."
    )


def dialog_picker(parent: QWidget, title: str) -> str:
    """The default picker: Qt's folder dialog."""
    return QFileDialog.getExistingDirectory(parent, title)
