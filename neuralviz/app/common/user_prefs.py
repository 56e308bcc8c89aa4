"""UserPrefs: what the app remembers for the user between runs (QSettings), such as the folder holding a
dataset's files, so a lecturer picks the MNIST folder once, not at every start.

The store is injectable: tests pass a QSettings on a temporary INI file and leave the user's own untouched."""

from __future__ import annotations

from PyQt6.QtCore import QSettings

ORGANISATION = APPLICATION = "neuralviz"


class UserPrefs:
    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    def dataset_folder(self, dataset: str) -> str:
        """The folder last chosen for `dataset` ('' when none)."""
        value = self.store.value(f"datasets/{dataset}/path", "")
        return str(value) if value else ""

    def remember_dataset_folder(self, dataset: str, folder: str) -> None:
        self.store.setValue(f"datasets/{dataset}/path", str(folder))
        self.store.sync()
