"""The feature-map page: a convolutional network's "feature factory", live while the studio trains it.

* ``page.py``             FeatureMapPage: the tab (input, class scores, maps, filters, analysis tabs)
* ``probe.py``            Probe: activations, scores and saliency for one input (no Qt)
* ``sweep.py``            DatasetSweep: confusion matrix, channel responses, accuracy under translation (no Qt)
* ``fc_twin.py``          FullyConnectedTwin: the MLP the translation view compares with (no Qt)
* ``workbench.py``        Workbench / PageContext: the worker's copies for one configuration (no Qt)
* ``probe_worker.py``    ProbeWorker: runs probes and sweeps in a WorkerHost thread (the GUI thread runs no network)
* ``mosaic.py``           layouts and vectorised rasterising of map mosaics
* views: ``input_panel.py`` (+ ``draw_canvas.py``), ``scores_view.py``, ``maps_view.py``, ``filters_view.py``
  (both on ``mosaic_stack.py``), ``invariance_view.py``, ``top_images.py``, ``saliency_view.py``,
  ``confusion_view.py``, ``sign_legend.py``, ``status_text.py``; helpers in ``drawing.py``
"""
