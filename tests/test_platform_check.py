"""The check that Qt's xcb platform plugin can load, run before the studio creates its QApplication.

No display is needed: the environment, the plugin lookup and the loader are fakes, except in the last
tests, which ask the real loader about the real plugin (and a made-up library) without opening Qt.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neuralviz.app import platform_check as pc

PLUGIN = Path("/fake/PyQt6/Qt6/plugins/platforms/libqxcb.so")

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd1a5f3000)
\tlibQt6XcbQpa.so.6 => /fake/PyQt6/Qt6/lib/libQt6XcbQpa.so.6 (0x00007f2dd95f5000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2dd950b000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f2dd9503000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f2dd96c5000)
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb platform is Linux's")


def check(environ, missing):
    return pc.xcb_problem(environ, find_plugin=lambda env: PLUGIN, find_missing=lambda plugin: list(missing))


@linux_only
@pytest.mark.parametrize(
    "environ, expected",
    [
        ({"DISPLAY": ":0"}, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nograb"}, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, False),
        ({"QT_QPA_PLATFORM": "xcb"}, False),  # no DISPLAY: the "no display" message handles it
        ({}, False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "x11"}, True),
    ],
)
def test_only_the_xcb_platform_is_checked(environ, expected):
    assert pc.wants_xcb(environ) is expected


def test_parse_ldd_lists_each_missing_library_once_in_order():
    assert pc.parse_ldd(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"]
    assert pc.parse_ldd("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n") == []


@pytest.mark.parametrize(
    "soname, package",
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxcb-render-util.so.0", "libxcb-render-util0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libEGL.so.1", "libegl1"),
        ("libdbus-1.so.3", "libdbus-1-3"),
        ("libglib-2.0.so.0", "libglib2.0-0"),
        ("libxcb.so.1", "libxcb1"),
    ],
)
def test_debian_package_names(soname, package):
    assert pc.debian_package(soname) == package


@linux_only
def test_missing_libraries_give_one_line_with_the_apt_command():
    msg = check({"DISPLAY": ":0"}, ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert msg is not None and "\n" not in msg
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in msg
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1" in msg
    assert "xcb-cursor" not in msg  # not Qt's misleading hint


def test_sudo_only_when_not_root():
    assert "sudo apt-get install libxcb-icccm4" in pc.problem_message(["libxcb-icccm.so.4"], as_root=False)
    assert "sudo" not in pc.problem_message(["libxcb-icccm.so.4"], as_root=True)


def test_a_broken_pyqt6_install_is_not_sent_to_apt():
    msg = pc.problem_message(["libQt6XcbQpa.so.6"], as_root=True)
    assert "apt-get" not in msg and "PyQt6-Qt6" in msg


@linux_only
def test_no_problem_when_all_load_or_not_xcb_or_skipped():
    assert check({"DISPLAY": ":0"}, []) is None
    assert check({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, ["libxcb-icccm.so.4"]) is None
    assert check({}, ["libxcb-icccm.so.4"]) is None
    assert check({"DISPLAY": ":0", "NEURALVIZ_SKIP_QT_CHECK": "1"}, ["libxcb-icccm.so.4"]) is None
    no_plugin = pc.xcb_problem({"DISPLAY": ":0"}, find_plugin=lambda env: None, find_missing=lambda p: ["x.so.1"])
    assert no_plugin is None


@linux_only
def test_gui_command_prints_the_line_and_exits_nonzero(monkeypatch, capsys):
    """`neuralviz gui` stops before Qt (no QApplication, no abort) with the one line on stderr."""
    from neuralviz.app import cli

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("NEURALVIZ_SKIP_QT_CHECK", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(pc, "xcb_plugin_path", lambda env: PLUGIN)
    monkeypatch.setattr(pc, "missing_libraries", lambda plugin: ["libxcb-keysyms.so.1"])
    args = argparse.Namespace(
        preset=None, train_steps=0, screenshot=None, quit=False, large_fonts=False, high_contrast=False
    )
    assert cli.run_gui(args) == pc.QT_PLATFORM_CODE != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "libxcb-keysyms.so.1" in err and "apt-get install libxcb-keysyms1" in err


@linux_only
def test_real_loader_names_a_missing_library(tmp_path, monkeypatch):
    """ldd (or dlopen) on a real shared library that needs a library no system has."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    (tmp_path / "dep.c").write_text("int nvz_dep(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int nvz_dep(void);\nint nvz_plugin(void) { return nvz_dep(); }\n")
    dep = tmp_path / "libnvzmissing-xcb.so.7"
    subprocess.run(
        [cc, "-shared", "-fPIC", "-Wl,-soname,libnvzmissing-xcb.so.7", "-o", str(dep), str(tmp_path / "dep.c")],
        check=True,
    )
    plugin = tmp_path / "libqxcb.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(plugin), str(tmp_path / "plugin.c"), str(dep)], check=True)
    dep.unlink()  # now the plugin's dependency cannot be found
    assert pc.missing_libraries(plugin) == ["libnvzmissing-xcb.so.7"]
    msg = pc.problem_message(pc.missing_libraries(plugin), as_root=True)
    assert "apt-get install libnvzmissing-xcb7" in msg
    monkeypatch.setattr(pc.shutil, "which", lambda name: None)  # no ldd: dlopen names the first one
    assert pc.missing_libraries(plugin) == ["libnvzmissing-xcb.so.7"]


@linux_only
def test_real_plugin_lookup_finds_pyqt6s_xcb_plugin():
    pytest.importorskip("PyQt6")
    plugin = pc.xcb_plugin_path({})
    assert plugin is not None and plugin.name == "libqxcb.so" and plugin.is_file()
    assert isinstance(pc.missing_libraries(plugin), list)  # whatever this machine has installed
