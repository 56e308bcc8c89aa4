"""Frame rate and training speed of the whole studio window (offscreen), training the XOR preset
(2-8-8-1 tanh MLP, batch 10, SGD) at maximum speed.

    python benchmarks/app_framerate.py [--seconds 5] [--preset xor] [--json out.json]

Targets (issue 22; issue 6 asked for 30 and 10,000): at least 60 frames/s drawn while sustaining at least
100,000 training steps/s. For scale, TensorFlow Playground in headless Chromium on the same machine kind
trains its 4-2 net on XOR at about 1,200 steps/s (47 epochs/s) while redrawing.

What is counted:
  frames/s      snapshots the window drew (render + Qt painting), over the measured interval
  steps/s       training steps the worker thread did over the same interval
  GUI CPU/frame CPU time of the GUI thread per drawn frame (load-independent cost of drawing)
  paints/s      paint events of the network diagram and of the output map (proves real drawing)
  timer ticks/s a 10 ms QTimer in the GUI thread (the event loop stays responsive: ideal 100)
The machine's load average is printed alongside: on a shared machine the figures drop with it; the GUI
thread's CPU time per frame is the load-independent figure (1000 / it = the frames/s a free core could draw).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

TARGET_FPS, TARGET_STEPS = 60.0, 100_000.0


class PaintCounter(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def measure(preset: str, seconds: float, warmup: float = 1.0) -> dict:
    from neuralviz.app.main_window import MainWindow
    from neuralviz.app.settings import StudioSettings
    from neuralviz.app.studio.controls import SPEEDS

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(StudioSettings.from_preset(preset))
    window.show()
    counters = {name: PaintCounter() for name in ("diagram", "output")}
    window.network_panel.view.viewport().installEventFilter(counters["diagram"])
    window.output_panel.boundary.plot_widget.viewport().installEventFilter(counters["output"])
    ticks = [0]
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    timer.start(10)
    deadline = time.perf_counter() + 20
    while window.latest is None and time.perf_counter() < deadline:
        app.processEvents()
    window.controls.speed_combo.setCurrentIndex(SPEEDS.index(0))  # "max"
    window.play()
    marks: dict = {}

    def start():
        marks.update(
            t=time.perf_counter(),
            cpu=time.thread_time(),
            frames=window.frames_drawn,
            step=window.latest.step,
            ticks=ticks[0],
            paints={k: c.count for k, c in counters.items()},
        )

    def stop():
        marks.update(
            t1=time.perf_counter(),
            cpu1=time.thread_time(),
            frames1=window.frames_drawn,
            step1=window.latest.step,
            ticks1=ticks[0],
            paints1={k: c.count for k, c in counters.items()},
        )
        window.pause()
        app.quit()

    QTimer.singleShot(int(warmup * 1000), start)
    QTimer.singleShot(int((warmup + seconds) * 1000), stop)
    app.exec()
    elapsed = marks["t1"] - marks["t"]
    frames = marks["frames1"] - marks["frames"]
    result = {
        "preset": preset,
        "seconds": round(elapsed, 2),
        "frames_per_s": frames / elapsed,
        "steps_per_s": (marks["step1"] - marks["step"]) / elapsed,
        "gui_cpu_ms_per_frame": 1e3 * (marks["cpu1"] - marks["cpu"]) / max(frames, 1),
        "timer_ticks_per_s": (marks["ticks1"] - marks["ticks"]) / elapsed,
        "diagram_paints_per_s": (marks["paints1"]["diagram"] - marks["paints"]["diagram"]) / elapsed,
        "output_paints_per_s": (marks["paints1"]["output"] - marks["paints"]["output"]) / elapsed,
        "train_accuracy": window.latest.metrics.get("train_accuracy"),
        "fast_path": window.info.fast_path,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "cpus": os.cpu_count(),
    }
    window.close()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="xor")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    r = measure(args.preset, args.seconds)
    ok = r["frames_per_s"] >= TARGET_FPS and r["steps_per_s"] >= TARGET_STEPS
    print(
        f"studio, preset {r['preset']}, offscreen, {r['seconds']} s measured "
        f"({'fused C++ SGD' if r['fast_path'] else 'layer-by-layer'} path; {r['cpus']} CPUs, "
        f"load average {r['load_average']:.1f})"
    )
    print(f"{'metric':28s} {'value':>12s} {'target':>10s}")
    print(f"{'frames drawn per second':28s} {r['frames_per_s']:12.1f} {f'>= {TARGET_FPS:.0f}':>10s}")
    print(f"{'training steps per second':28s} {r['steps_per_s']:12,.0f} {f'>= {TARGET_STEPS:,.0f}':>10s}")
    print(f"{'GUI thread CPU per frame':28s} {r['gui_cpu_ms_per_frame']:10.1f}ms")
    print(f"{'10 ms timer ticks per second':28s} {r['timer_ticks_per_s']:12.0f} {'(100 ideal)':>10s}")
    print(f"{'diagram paints per second':28s} {r['diagram_paints_per_s']:12.1f}")
    print(f"{'output map paints per second':28s} {r['output_paints_per_s']:12.1f}")
    print(f"{'train accuracy at the end':28s} {r['train_accuracy']:12.3f}")
    print("targets met" if ok else "TARGETS NOT MET")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
