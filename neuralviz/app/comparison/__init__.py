"""The "Plain vs natural" page: two or more copies of one network race in lockstep, each with its own optimizer.

Pieces (each in its own file):
    config.py        what is raced: the runs (optimizer, learning rate) and the knobs they share
    studio_race.py   the race a studio configuration (or lecture preset) calls for
    problem.py       the data the runs train on, taken from the studio (plus the preset's bad scaling)
    race_run.py      one run: network, optimizer, optional reparametrised twin, its history
    lockstep.py      all runs on the same minibatch stream, from identical weights (no Qt)
    fisher_probe.py  the Fisher matrix and its approximations as pictures, spectra, condition numbers
    frames.py        the immutable frames the worker hands to the views
    worker.py        LockstepWorker: drives a Lockstep in a WorkerHost thread
    page.py          ComparisonPage, the tab; the remaining files are its views and controls:
                     race_controls / run_row / damping_slider, map_panel, difference_view, loss_view,
                     gap_view, fisher_view / matrix_tile, run_style
"""
