"""The training studio: a PyQt6 + pyqtgraph window that trains a network live.

    python -m neuralviz                 # opens the studio on the XOR demo
    neuralviz gui --preset spirals      # another lecture preset

Layout of this package: one package per page, each implementing the Page protocol the window calls,
and one shared place for what several pages use (DESIGN.md §5, §7):

* ``main_window.py``    MainWindow: the tabs, menus and theme; owns the settings and sessions; talks to
  its pages through the Page protocol only
* ``pages.py``          which pages there are (the tabs after the studio), built as Cls(window)
* ``settings.py``       StudioSettings: everything the user chose (the model the panels edit, what a
  session stores)
* ``session.py``        save/open a session (settings JSON + weights .npz)
* ``run.py``, ``cli.py``, ``platform_check.py``  starting the app (with the checks for a missing display or
  Qt platform plugin) and `neuralviz gui`
* ``common/``           shared by the pages: ``page.py`` (the Page protocol), ``worker_host.py`` +
  ``frame_worker.py`` (the one worker-thread host and its play/pause loop), ``panels.py`` (the panel
  frame), ``snapshot.py`` (RunInfo, Snapshot: what the studio's worker hands out), ``theme.py``,
  ``plot_style.py``, ``render.py`` (heat-maps to QImages), ``message_panel.py``, ``error_text.py``,
  ``spec_edit.py`` (reading and rewriting plain MLP specs)
* ``studio/``           the training studio (the first tab): StudioPage, TrainingRun, its worker and panels
* ``editor/``           the architecture editor;  ``featuremaps/`` a CNN's feature maps;
  ``comparison/`` plain versus natural gradient (races)

Importing this package does not import Qt; ``run.py`` does so only when a window is opened.
"""

from __future__ import annotations

__all__ = ["run"]


def run(*args, **kwargs) -> int:
    """Open the studio (see neuralviz.app.run.run)."""
    from .run import run as _run

    return _run(*args, **kwargs)
