"""The training studio: a PyQt6 + pyqtgraph window that trains a network live.

    python -m neuralviz                 # opens the studio on the XOR demo
    neuralviz gui --preset spirals      # another lecture preset

Layout of this package (one small class per file):

* ``settings.py``       StudioSettings: everything the user chose (the model the panels edit)
* ``spec_edit.py``      MlpDescription: reading and rewriting plain MLP specs (hidden sizes, activation, ...)
* ``training_run.py``   TrainingRun: network + data + optimizer for one configuration (no Qt)
* ``snapshot.py``       the immutable objects the worker hands to the views (RunInfo, Snapshot)
* ``worker.py``         TrainingWorker: runs a TrainingRun in a QThread and emits snapshots (~30/s)
* ``controller.py``     TrainingController: the GUI thread's handle on the worker
* ``main_window.py``    MainWindow: the panels put together; owns the settings
* panels: ``controls.py`` (play/pause/step/reset/speed/counters), ``hyper_panel.py``, ``data_panel.py``,
  ``network_panel.py`` (+ ``network_view.py``, ``network_items.py``: the live diagram), ``output_panel.py``
  (+ ``boundary_view.py``, ``regression_view.py``, ``samples_view.py``, ``curves_view.py``,
  ``colour_legend.py``), ``message_panel.py`` (errors and notices)
* drawing helpers: ``theme.py`` (colours, fonts, colour-blind-safe maps), ``render.py`` (heat-maps),
  ``plot_style.py`` (pyqtgraph set-up)
* ``session.py``        save/open a session (settings JSON + weights .npz)
* ``run.py``, ``cli.py``  starting the app (with the check for a missing display) and `neuralviz gui`

Importing this package does not import Qt; ``run.py`` does so only when a window is opened.
"""

from __future__ import annotations

__all__ = ["run"]


def run(*args, **kwargs) -> int:
    """Open the studio (see neuralviz.app.run.run)."""
    from .run import run as _run

    return _run(*args, **kwargs)
