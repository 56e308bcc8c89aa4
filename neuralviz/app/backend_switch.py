"""Training ▸ Run on: the CPU or the GPU, switched while training runs, and the status-bar badge that says
which one is computing (readable from the back of a lecture room).

The switch is nv.set_backend: process-wide, so every page's next training step runs there. It lands between
two steps (backend.step_lock), and a network moves its parameters and optimizer state on its next forward,
so nothing is lost: the curves go on from where they were. Where no GPU is usable the GPU entry is shown
disabled with the reason (CUDA_REASON), so a lecturer sees why instead of a missing menu item.
"""

from __future__ import annotations

from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import QLabel, QMenu, QWidget

from .. import backend

CHOICES = (("cpu", "&CPU (our C++ kernels)"), ("cuda", "&GPU (CUDA)"))


class BackendSwitch:
    """The Run on submenu and its status badge; `select` is what the menu calls (and tests)."""

    def __init__(self, menu: QMenu, parent: QWidget, notify) -> None:
        self.notify = notify  # status-bar message callback
        self.badge = QLabel()
        self.badge.setProperty("role", "hint")
        self.badge.setToolTip("Where training computes: Training ▸ Run on")
        self.group = QActionGroup(parent)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        submenu = menu.addMenu("Run &on")
        for name, text in CHOICES:
            usable = name in backend.backends()
            label = text if usable else f"{text.replace('&', '')}: {_reason()}"
            action = QAction(label, parent, checkable=True)
            action.setEnabled(usable)
            action.triggered.connect(lambda _checked, n=name: self.select(n))
            self.group.addAction(action)
            submenu.addAction(action)
            self.actions[name] = action
        self.refresh()

    def select(self, name: str) -> bool:
        """Switch the engine to `name`; False (with the reason shown) when it cannot run here."""
        try:
            backend.set_backend(name)
        except (RuntimeError, ValueError) as err:
            self.notify(str(err))
            self.refresh()
            return False
        self.refresh()  # the badge is the feedback: a status message would be clipped by it at 1024 px
        return True

    def refresh(self) -> None:
        """Check the active backend's entry and show it in the badge."""
        name = backend.get_backend()
        if name in self.actions:
            self.actions[name].setChecked(True)
        self.badge.setText(f"Computing on: {describe(name)}")


def describe(name: str) -> str:
    """The badge's words for a backend name."""
    if name == "cuda":
        return f"GPU ({backend._cuda_module.device_name(0)})"
    if name == "cuda-sim":
        return "CUDA simulator (CPU)"
    return f"CPU ({backend.cpu_isa()}, {backend.get_num_threads()} thread{'s' * (backend.get_num_threads() != 1)})"


def _reason() -> str:
    return backend.CUDA_REASON.split(": ", 1)[-1] if backend.CUDA_REASON else "unavailable"
