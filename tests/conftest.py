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


class FakeWindow:
    """What a page that trains on its own reads of the main window: its theme (the page tests build one page
    alone, without the window and its studio)."""

    def __init__(self):
        from neuralviz.app.common.theme import make_theme

        self.theme = make_theme()


def shown_page(qtbot, page_class, size: tuple[int, int] = (1024, 640), **kwargs):
    """A page built on a FakeWindow, sized and shown (a page sets its run up when first shown); the caller
    shuts it down."""
    page = page_class(FakeWindow(), **kwargs)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    return page


def run_headless(qtbot, target, steps: int, timeout: int = GUI_WAIT_MS) -> None:
    """A scripted run of `steps` steps on a page or a lecture view, waited for until it calls done()."""
    done = []
    target.run_headless(steps, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=timeout)


def make_scene(view: str, steps: int, preset: dict | None = None, **fields):
    """A lecture scene for a view's test: view `view`, stopped after `steps` steps, other Scene fields as given
    (options, preset_name, ...); its texts are placeholders, which no view's test reads."""
    from neuralviz.lecture import StopRule
    from neuralviz.lecture.scene import Scene

    texts = {"number": 1, "topic": 1, "name": f"{view}-test", "title": view, "takeaway": view, "notes": ("a", "b")}
    return Scene(**dict(texts, **fields), view=view, preset=preset, stop=StopRule(steps=steps))
