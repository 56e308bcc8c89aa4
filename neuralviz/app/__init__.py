"""The training studio: a PyQt6 + pyqtgraph window that trains a network live.

    python -m neuralviz                 # opens the studio on the XOR demo
    neuralviz gui --preset spirals      # another lecture preset

Layout of this package (one small class per file):

* ``settings.py``      StudioSettings: everything the user chose (the model the panels edit)
* ``spec_edit.py``     MlpDescription: reading and rewriting plain MLP specs (hidden sizes, activation, ...)
* ``training_run.py``  TrainingRun: network + data + optimizer for one configuration (no Qt)
* ``snapshot.py``      the immutable objects the worker hands to the views
* ``worker.py``        TrainingWorker: runs a TrainingRun in a QThread and emits snapshots
* ``controller.py``    TrainingController: the GUI thread's handle on the worker
* ``*_view.py, *_panel.py, controls.py``   the widgets; ``main_window.py`` puts them together
* ``session.py``       save/open a session (settings JSON + weights)
* ``run.py``, ``cli.py``  starting the app (with the check for a missing display)

Importing this package does not import Qt; ``run.py`` does so only when a window is opened.
"""
from __future__ import annotations

__all__ = ["run"]


def run(*args, **kwargs) -> int:
    """Open the studio (see neuralviz.app.run.run)."""
    from .run import run as _run

    return _run(*args, **kwargs)
