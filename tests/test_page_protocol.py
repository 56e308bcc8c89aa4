"""The app's tabs and the window that hosts them (DESIGN.md §5 and §7).

Every page implements one Page protocol (neuralviz/app/common/page.py) and the window talks to pages through
it alone: no hasattr/getattr on method names, no page-specific calls. Every page runs its work in the one
worker-thread host (WorkerHost), and the app imports only public engine names.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from PyQt6.QtWidgets import QWidget  # noqa: E402

from neuralviz.app import pages as page_registry  # noqa: E402
from neuralviz.app.common import page as protocol  # noqa: E402
from neuralviz.app.common.page import Page  # noqa: E402
from neuralviz.app.main_window import MainWindow  # noqa: E402
from neuralviz.app.studio.page import StudioPage  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "neuralviz" / "app"
WAIT = 30_000
PAGE_API = {name for name, _ in inspect.getmembers(Page, callable) if not name.startswith("_")}
# the modules that hold pages: they must reach a page through the protocol only (pages.py may getattr the
# page classes out of their modules: that is how the registry imports them)
HOSTS = ("main_window.py", "run.py", "pages.py")


def all_page_classes() -> list[type]:
    return [StudioPage, *page_registry.page_classes(), page_registry.BrokenPage]


def _own(cls: type, name: str) -> bool:
    """Whether cls (or a base below Page) defines `name` itself rather than inheriting Page's default."""
    return getattr(cls, name) is not getattr(Page, name)


# ---------------------------------------------------------------------------------------------- the pages
@pytest.mark.parametrize("cls", all_page_classes(), ids=lambda c: c.__name__)
def test_every_page_implements_the_protocol(cls):
    assert issubclass(cls, Page) and issubclass(cls, QWidget)
    missing = [name for name in protocol.REQUIRED if not _own(cls, name)]
    assert not missing, f"{cls.__name__} does not implement {missing}"
    assert cls.TITLE or cls is page_registry.BrokenPage, f"{cls.__name__} has no tab title"


def test_the_window_hosts_every_page_and_routes_keys_through_the_protocol(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.latest is not None, timeout=WAIT)
    try:
        titles = [w.tabs.tabText(i) for i in range(w.tabs.count())]
        assert titles == [p.title() for p in w.all_pages()]
        assert titles == [
            "Studio",
            "Architecture",
            "Feature maps",
            "Plain vs natural",
            "Races",
            "Sequences",
            "Generative",
            "Robustness",
            "Segmentation",
        ]
        for page in w.all_pages():
            assert isinstance(page, Page)
            if page.trains_itself():
                assert all(_own(type(page), k) for k in protocol.TRAINING_KEYS), type(page).__name__
            w.tabs.setCurrentWidget(page)
            assert w._training_page() is (page if page.trains_itself() else w.studio)
        assert w.pages["Plain vs natural"].trains_itself() and not w.pages["Architecture"].trains_itself()
    finally:
        w.close()


# ---------------------------------------------------------------------------------------------- the window
def _source(name: str) -> ast.Module:
    return ast.parse((APP / name).read_text(encoding="utf-8"))


def _page_expressions(tree: ast.Module):
    """(attribute name, line) of every `X.name` where X is a page: a variable named page, or what
    current_page() / _training_page() return."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        target = node.value
        if isinstance(target, ast.Name) and target.id == "page":
            yield node.attr, node.lineno
        elif (
            isinstance(target, ast.Call)
            and isinstance(target.func, ast.Attribute)
            and target.func.attr in ("current_page", "_training_page")
        ):
            yield node.attr, node.lineno


@pytest.mark.parametrize("name", HOSTS)
def test_hosts_reach_pages_through_the_protocol_only(name):
    tree = _source(name)
    by_name = [
        (n.func.id, n.lineno)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("hasattr", "getattr")
    ]
    if name != "pages.py":
        assert not by_name, f"{name} looks methods up by name: {by_name}"
    outside = [(attr, line) for attr, line in _page_expressions(tree) if attr not in PAGE_API]
    assert not outside, f"{name} calls pages outside the Page protocol: {outside}"


# ---------------------------------------------------------------------------------------------- threads
def test_every_worker_thread_is_a_worker_host():
    """One thread host: no page builds a QThread of its own."""
    owners = [
        path.relative_to(APP).as_posix() for path in APP.rglob("*.py") if "QThread(" in path.read_text(encoding="utf-8")
    ]
    assert owners == ["common/worker_host.py"]
    users = {
        path.relative_to(APP).parts[0]
        for path in APP.rglob("*.py")
        if "WorkerHost(" in path.read_text(encoding="utf-8") and path.name != "worker_host.py"
    }
    assert users == {
        "studio",
        "editor",
        "featuremaps",
        "comparison",
        "race",
        "lecture",
        "sequence",
        "autoencoder",
        "gan",
        "gan_images",
        "texture",
        "robustness",
        "segmentation",
    }


# ---------------------------------------------------------------------------------------------- engine names
def _engine_imports(path: Path):
    """(module, name, line) of every import from the engine (neuralviz, outside neuralviz.app)."""
    package = ["neuralviz", *path.relative_to(APP.parent).parent.parts]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("neuralviz") and not module.startswith("neuralviz.app"):
                for alias in node.names:
                    yield module, alias.name, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("neuralviz") and not alias.name.startswith("neuralviz.app"):
                    yield alias.name, "", node.lineno


def test_the_app_imports_public_engine_names_only():
    private = []
    for path in APP.rglob("*.py"):
        for module, name, line in _engine_imports(path):
            parts = module.split(".")[1:] + ([name] if name else [])
            if any(p.startswith("_") for p in parts):
                private.append(f"{path.relative_to(APP)}:{line} {module} {name}")
    assert not private, "the app imports private engine names:\n" + "\n".join(private)
