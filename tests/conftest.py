"""Shared test set-up.

GUI tests run offscreen (must be set before any QApplication exists). Kernel tests can
run over every instruction set this CPU supports via the `isa` fixture, so the generic
and AVX2 paths stay tested on an AVX-512 machine too.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

import neuralviz as nv  # noqa: E402

ISAS = nv._C.available_isas()


@pytest.fixture(params=ISAS)
def isa(request):
    """Caps the kernels at one instruction set for the duration of a test."""
    before = nv._C.get_isa()
    nv._C.set_isa(request.param)
    yield request.param
    nv._C.set_isa(before)


def pytest_report_header(config):
    return (
        f"neuralviz {nv.__version__}: isa {nv._C.get_isa()} (testing {', '.join(ISAS)}), "
        f"backends {nv.backends()}, openmp {nv._C.has_openmp()}"
    )


GUI_WAIT_MS = 30_000  # generous for a loaded CI machine: the waits end as soon as the condition holds


@pytest.fixture
def window(qtbot):
    """The main window, shown, once its first frame has arrived (the GUI tests' common start)."""
    from neuralviz.app.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.latest is not None, timeout=GUI_WAIT_MS)
    yield w
    w.close()
