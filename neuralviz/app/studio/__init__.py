"""The training studio, the window's first tab: train a network live and watch it learn.

* ``page.py``           StudioPage: the tab (controls, hyperparameters, data, network diagram, output)
* ``training_run.py``   TrainingRun: network + data + trainer for one configuration (no Qt)
* ``worker.py``         TrainingWorker: trains a TrainingRun in a WorkerHost thread, emits snapshots (~30/s)
* panels: ``controls.py`` (play/pause/step/reset/speed/counters), ``hyper_panel.py``, ``data_panel.py``,
  ``network_panel.py`` (+ ``network_view.py``, ``network_items.py``: the live diagram), ``output_panel.py``
  (+ ``boundary_view.py``, ``regression_view.py``, ``samples_view.py``, ``curves_view.py``,
  ``colour_legend.py``)
"""
