"""Races of architectures: several runs of one preset (`"runs"`), each its own network, trained in lockstep on
the same data and the same batch stream, shown side by side (mirrored panels) with their losses overlaid.

    view.py           RaceView, the lecture scene's widget (SceneView)
    page.py           RacePage, the main window's "Races" tab (Page), with a preset picker
    board.py          RaceBoard, what both show: the panels, the plots, the worker thread and the stop rule
    worker.py         RaceWorker: trains the engine's neuralviz.race.Race off the GUI thread, sends frames
    track.py          RaceTrack: the race plus what the views need (curves, gradient norms, Jacobian); no Qt
    pictures.py       each run's picture (map over the plane, fitted curve, confusion matrix); no Qt
    frames.py         the immutable frames the worker hands to the GUI thread
    run_panel.py      one run's panel: name, size, picture, big numbers (fit_label.py keeps them inside it)
    panel_grid.py     the panels in the rows and columns that make the pictures largest
    loss_plot.py      every run's train (solid) and test (dashed) loss, log scale (log_axis.py: its ticks)
    gradient_bars.py  ‖∂L/∂θ‖ per layer per run, log scale
    run_colours.py    each run's colour, the same everywhere
"""
