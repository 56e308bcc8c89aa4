"""Can Qt's xcb platform plugin load here? Checked before any Qt object exists.

When a library of the xcb plugin is missing (libxcb-icccm4 and libxcb-keysyms1 on a minimal Debian
desktop, other libxcb-* on other images), Qt prints a misleading "xcb-cursor0 or libxcb-cursor0 is
needed" and aborts the whole process (SIGABRT) while creating the QApplication. So on the xcb platform
(QT_QPA_PLATFORM unset or "xcb", DISPLAY set) the studio first asks the dynamic loader which libraries
of PyQt6's `Qt6/plugins/platforms/libqxcb.so` (and of the libraries it pulls in) are not found, and
stops with one line naming them and the apt-get command that installs them.

NEURALVIZ_SKIP_QT_CHECK=1 skips the check.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

QT_PLATFORM_CODE = 3  # the same code as "no display": no window can open here

# sonames whose Debian package is not the usual "lib<name><version>" (libxcb-icccm.so.4 -> libxcb-icccm4)
_DEBIAN_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libz.so.1": "zlib1g",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
}

_LDD_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")
_DLOPEN_MISSING = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


def wants_xcb(environ: Mapping[str, str]) -> bool:
    """True when a QApplication created now would use Qt's xcb platform plugin (X11)."""
    if not sys.platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    platform = environ.get("QT_QPA_PLATFORM", "").strip()
    if platform:  # "xcb", "xcb:option=value", "wayland;xcb": Qt tries the first entry first
        return platform.split(";")[0].split(":")[0].strip() == "xcb"
    # unset: in a Wayland session Qt 6 picks its wayland plugin, and xcb only as the fallback
    return not (environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland")


def xcb_plugin_path(environ: Mapping[str, str]) -> Path | None:
    """PyQt6's libqxcb.so (without importing PyQt6), or None where there is none."""
    folders = [environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")]
    spec = importlib.util.find_spec("PyQt6")
    if spec is not None and spec.submodule_search_locations:
        folders += [str(Path(p) / "Qt6" / "plugins" / "platforms") for p in spec.submodule_search_locations]
    for folder in folders:
        if folder and (Path(folder) / "libqxcb.so").is_file():
            return Path(folder) / "libqxcb.so"
    return None


def missing_libraries(plugin: Path) -> list[str]:
    """Sonames that the loader cannot find for `plugin` or for any library it needs, in ldd's order.

    ldd (in Debian's essential libc-bin) lists every missing library of the whole tree at once; without
    it, dlopen of the plugin names the first missing one.
    """
    ldd = shutil.which("ldd")
    if ldd:
        try:
            out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            out = None
        if out is not None:
            return parse_ldd(out)
    try:
        ctypes.CDLL(str(plugin))
    except OSError as err:
        found = _DLOPEN_MISSING.search(str(err))
        return [found.group(1)] if found else []
    return []


def parse_ldd(output: str) -> list[str]:
    """The "NAME => not found" sonames of ldd's output, each once, in order."""
    names: list[str] = []
    for line in output.splitlines():
        found = _LDD_NOT_FOUND.match(line)
        if found and found.group(1) not in names:
            names.append(found.group(1))
    return names


def debian_package(soname: str) -> str:
    """The Debian package that ships a library: libxcb-icccm.so.4 -> libxcb-icccm4,
    libxkbcommon-x11.so.0 -> libxkbcommon-x11-0 (a hyphen where the name ends in a digit)."""
    if soname in _DEBIAN_EXCEPTIONS:
        return _DEBIAN_EXCEPTIONS[soname]
    stem, sep, version = soname.partition(".so.")
    if not sep:
        return soname
    stem = stem.lower()
    return f"{stem}{'-' if stem[-1:].isdigit() else ''}{version.split('.')[0]}"


def problem_message(missing: list[str], as_root: bool) -> str:
    """One line: what is missing and the command that installs it."""
    qt_own = [m for m in missing if m.startswith(("libQt6", "libicu"))]
    if qt_own:
        return (
            f"neuralviz gui: the PyQt6 installation is incomplete ({', '.join(qt_own)} not found next to Qt's "
            "xcb plugin); reinstall it: pip install --force-reinstall PyQt6-Qt6"
        )
    packages = list(dict.fromkeys(debian_package(m) for m in missing))
    sudo = "" if as_root else "sudo "
    return (
        f"neuralviz gui: Qt's X11 (xcb) platform plugin cannot load, these libraries are missing: "
        f"{', '.join(missing)}; on Debian/Ubuntu install them with: {sudo}apt-get install {' '.join(packages)} "
        "(or run without a window: --screenshot out.png, or QT_QPA_PLATFORM=offscreen)"
    )


def xcb_problem(
    environ: Mapping[str, str] | None = None,
    find_plugin: Callable[[Mapping[str, str]], Path | None] | None = None,
    find_missing: Callable[[Path], list[str]] | None = None,
) -> str | None:
    """The one-line reason Qt's xcb platform would abort here, or None (also when Qt will not use xcb).

    find_plugin and find_missing default to xcb_plugin_path and missing_libraries (tests pass fakes).
    """
    environ = os.environ if environ is None else environ
    find_plugin = find_plugin or xcb_plugin_path
    find_missing = find_missing or missing_libraries
    if environ.get("NEURALVIZ_SKIP_QT_CHECK") == "1" or not wants_xcb(environ):
        return None
    plugin = find_plugin(environ)
    if plugin is None:  # no PyQt6 wheel layout: Qt reports whatever is wrong itself
        return None
    missing = find_missing(plugin)
    if not missing:
        return None
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return problem_message(missing, as_root)
