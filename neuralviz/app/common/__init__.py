"""What several pages of the app share: the Page protocol the window calls (``page.py``), the one
worker-thread host (``worker_host.py``, with the worker side in ``frame_worker.py``), the panel frame
(``panels.py``), the objects the studio's worker hands to every page (``snapshot.py``), the theme, plot set-up
and heat-map rendering, the message banner and error texts, and MLP spec editing (``spec_edit.py``).
"""
