"""Finding files under assets/ both in an installed wheel and in a source checkout.

setup.py copies the repository's assets/ into the package as neuralviz/assets/ when it builds a wheel; an
editable or in-tree run has no such copy and reads <repo>/assets/ directly.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO_ASSETS = Path(__file__).resolve().parents[2] / "assets"


def _package_assets() -> Path | None:
    """neuralviz/assets inside the installed package, if the package lives on a file system."""
    try:
        root = resources.files("neuralviz")
    except (ImportError, TypeError, ValueError):
        return None
    # A namespace or zipped package gives a non-Path Traversable; only a real directory can hold our files
    # in a form numpy and gzip can open.
    return root / "assets" if isinstance(root, Path) else None


def asset_path(relative: str) -> Path:
    """Path of assets/<relative>: the package's copy first, then the repository's; FileNotFoundError naming both."""
    package = _package_assets()
    candidates = [p / relative for p in (package, _REPO_ASSETS) if p is not None]
    for path in candidates:
        if path.is_file():
            return path
    in_package = str(package / relative) if package is not None else "neuralviz/assets/ (package not on disk)"
    raise FileNotFoundError(f"asset {relative!r} not found; looked in {in_package} and {_REPO_ASSETS / relative}")
