"""Starting the presenter: the display checks, the QApplication, the screen, and the scripted modes
(`--screenshot`, `--record ... --seconds S`, `--quit`) that also run without a display."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HEADLESS_SIZE = (1280, 720)  # --screenshot / --record without --size or a display


def run_presenter(args: argparse.Namespace, scenes: list, start: int) -> int:
    """Open the presenter on scenes[start]; returns the process exit code."""
    from ..platform_check import QT_PLATFORM_CODE, xcb_problem
    from ..run import NO_DISPLAY_CODE, NO_DISPLAY_MESSAGE, headless_problem

    scripted = bool(args.screenshot or args.record)
    headless = headless_problem() is not None
    if headless:
        if not scripted:
            print(NO_DISPLAY_MESSAGE.replace("neuralviz gui", "neuralviz lecture"), file=sys.stderr)
            return NO_DISPLAY_CODE
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = None if headless else xcb_problem()  # before any Qt object: Qt aborts when xcb cannot load
    if problem:
        print(problem, file=sys.stderr)
        return QT_PLATFORM_CODE
    from PyQt6.QtWidgets import QApplication

    from ..common.plot_style import configure_pyqtgraph
    from ..common.theme import make_theme
    from .presenter import PresenterWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("neuralviz lecture")
    configure_pyqtgraph()
    sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))  # the GUI waits less for the training thread's GIL
    _check_screen(app, args)
    theme = make_theme(args.large_fonts, args.high_contrast)
    font = app.font()
    font.setPointSizeF(theme.font_pt)
    app.setFont(font)
    presenter = PresenterWindow(scenes, theme, start, notes=args.notes)
    previous_hook = sys.excepthook
    _install_excepthook(presenter)
    try:
        offscreen = headless or os.environ.get("QT_QPA_PLATFORM") == "offscreen"
        _show(app, presenter, args, offscreen)
        script = Script(app, presenter, args, quit_after=args.quit or (headless and scripted))
        script.start()
        app.exec()
    finally:
        sys.excepthook = previous_hook  # in-process callers (tests) keep their own hook
        presenter.shutdown()
    return script.code


def _check_screen(app, args: argparse.Namespace) -> None:
    screens = app.screens()
    if args.screen is not None and args.screen >= len(screens):
        raise ValueError(
            f"--screen {args.screen}: this display has {len(screens)} screen(s), numbered 0..{len(screens) - 1}"
        )


def _show(app, presenter, args: argparse.Namespace, offscreen: bool) -> None:
    screen = app.screens()[args.screen] if args.screen is not None else None
    if screen is not None:
        presenter.setScreen(screen)
        presenter.move(screen.availableGeometry().topLeft())
    if args.size or args.window or offscreen:
        presenter.resize(*(args.size or HEADLESS_SIZE))
        presenter.show()
    else:
        # the screen's geometry first: without a window manager (a kiosk, Xvfb) the full-screen state alone
        # does not resize the window
        presenter.setGeometry((screen or app.primaryScreen()).geometry())
        presenter.showFullScreen()
    if screen is not None and presenter.windowHandle() is not None:
        presenter.windowHandle().setScreen(screen)


def _install_excepthook(presenter) -> None:
    """A bug in one view must not end the talk: the error is printed and shown in the footer."""
    import traceback

    def hook(kind, value, tb):
        traceback.print_exception(kind, value, tb)
        try:
            presenter.say(f"internal error ({kind.__name__}: {value}); details on the console", seconds=15)
        except Exception:  # noqa: BLE001 - the presenter itself may be the problem
            pass

    sys.excepthook = hook


class Script:
    """The scripted run: train and screenshot, and/or record S seconds of the scene playing; then quit."""

    def __init__(self, app, presenter, args: argparse.Namespace, quit_after: bool):
        self.app, self.presenter, self.args = app, presenter, args
        self.quit_after = quit_after
        self.pending = 0
        self.code = 0

    def start(self) -> None:
        from PyQt6.QtCore import QTimer

        a = self.args
        if a.record:
            self.pending += 1
            rec = self.presenter.recorder
            rec.saved.connect(lambda path: self._done(f"saved the recording {path}"))
            rec.failed.connect(lambda msg: self._done(msg, failed=True))
            if not self.presenter.toggle_recording(a.record, a.fps):
                self._done(self.presenter.message, failed=True)
            else:
                if not self.presenter.view.is_playing():
                    self.presenter.view.toggle_play()
                QTimer.singleShot(int(a.seconds * 1000), self.presenter.recorder.stop)
        if a.screenshot:
            self.pending += 1
            view = self.presenter.view
            steps = view.scene.stop.steps if a.train_steps is None else a.train_steps
            QTimer.singleShot(0, lambda: view.run_headless(steps, self._screenshot))
        if not self.pending and self.quit_after:
            QTimer.singleShot(0, self._quit)

    def _screenshot(self) -> None:
        from PyQt6.QtCore import QTimer

        # one more turn of the event loop: the last frame's views are painted before the grab
        QTimer.singleShot(50, self._save_screenshot)

    def _save_screenshot(self) -> None:
        p, path = self.presenter, self.args.screenshot
        p.refresh_footer()
        ok = p.grab().save(str(path), "PNG")
        said = f"{'saved' if ok else 'could not save'} {Path(path)} (scene {p.scene.number} {p.scene.name}"
        self._done(f"{said}, {p.view.status() or 'drawn'})", failed=not ok)

    def _done(self, message: str, failed: bool = False) -> None:
        print(f"neuralviz lecture: {message}", file=sys.stderr if failed else sys.stdout)
        if failed:
            self.code = 1
        self.pending -= 1
        if self.pending <= 0 and self.quit_after:
            self._quit()

    def _quit(self) -> None:
        self.presenter.close()
        self.app.quit()
