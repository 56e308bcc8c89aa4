"""Starting the studio: the display check, the QApplication, and the scripted screenshot mode.

Qt aborts the whole process (no exception) when it finds no display, so the check runs before any Qt
object exists: without DISPLAY / WAYLAND_DISPLAY / QT_QPA_PLATFORM on Linux the studio says what to do
and returns an error code. `--screenshot` needs no display: it switches Qt to its offscreen platform.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NO_DISPLAY_CODE = 3
NO_DISPLAY_MESSAGE = (
    "neuralviz gui: no display available (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are all unset), "
    "so no window can open.\n"
    "  - on a desktop, run it from a graphical session (or with ssh -X);\n"
    "  - to render without a screen, add --screenshot out.png (it trains, saves the picture and exits);\n"
    "  - or set QT_QPA_PLATFORM=offscreen to run the window invisibly."
)


def headless_problem() -> str | None:
    """Why no window can open here, or None. Only X11/Wayland systems need a display variable."""
    if sys.platform.startswith(("win", "darwin")):
        return None
    if any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return None
    return NO_DISPLAY_MESSAGE


def install_excepthook(window) -> None:
    """PyQt6 aborts the process on an exception escaping a slot or a paint method; a bug in one view must
    not take the lecture down, so such errors are printed and shown in the window's message banner."""
    import traceback

    def hook(kind, value, tb):
        traceback.print_exception(kind, value, tb)
        try:
            window.show_error(
                f"Internal error ({kind.__name__}: {value}); the studio keeps running. "
                "Details are printed on the console."
            )
        except Exception:  # noqa: BLE001 - the window itself may be the problem
            pass

    sys.excepthook = hook


def run(
    preset: str | None = None,
    train_steps: int = 0,
    screenshot: str | None = None,
    quit: bool = False,
    large_fonts: bool = False,
    high_contrast: bool = False,
) -> int:
    """Open the studio; returns the process exit code.

    With train_steps, trains that many steps at full speed once the window is up; with screenshot, then
    saves the window as PNG; with quit (implied by screenshot without a display), then exits.
    """
    if headless_problem():
        if not screenshot:
            print(NO_DISPLAY_MESSAGE, file=sys.stderr)
            return NO_DISPLAY_CODE
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        quit = True
    from PyQt6.QtGui import QFontDatabase
    from PyQt6.QtWidgets import QApplication

    from .common.theme import make_theme
    from .main_window import MainWindow
    from .settings import DEFAULT_PRESET, StudioSettings

    try:
        settings = StudioSettings.from_preset(preset or DEFAULT_PRESET)
    except ValueError as err:
        print(f"neuralviz gui: {err}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("neuralviz")
    if not QFontDatabase.families():
        print(
            "neuralviz gui: warning: Qt found no fonts, text will show as boxes "
            "(install a font package such as fonts-dejavu-core)",
            file=sys.stderr,
        )
    window = MainWindow(settings, make_theme(large_fonts, high_contrast))
    install_excepthook(window)
    window.open_page_for(preset or DEFAULT_PRESET)
    window.show()
    result = {"code": 0}
    if train_steps or screenshot or quit:

        def finish(failed: bool = False) -> None:
            if screenshot:
                ok = window.grab().save(str(screenshot), "PNG")
                print(
                    f"neuralviz gui: {'saved' if ok else 'could not save'} {Path(screenshot)} "
                    f"(step {window.current_page().shown_step()})"
                )
                result["code"] = 0 if ok and not failed else 1
            if quit:
                window.close()
                app.quit()

        if quit:  # an error would leave the run waiting forever: stop with the message and a picture
            host = window.studio.host
            host.failed.connect(lambda msg: (print(f"neuralviz gui: {msg}", file=sys.stderr), finish(failed=True)))
            host.worker.rejected.connect(
                lambda msg, _s: (print(f"neuralviz gui: {msg}", file=sys.stderr), finish(failed=True))
            )
        # the visible page trains (the studio, or a page with its own training such as the comparison)
        # and calls finish once it shows the result
        window.current_page().run_headless(max(0, int(train_steps)), finish)
    app.exec()
    return result["code"]
