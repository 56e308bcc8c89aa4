"""GanView: the lecture's GAN scene (topic 13): GAN Lab's layered plane, and beside it a twin that collapses.

The scene's preset (gan-ring) trains in one WorkerHost thread; with options {"twin": "gan-collapse"} the twin
(the same game with lr_G = 10·lr_D and a wide z) trains in a second one, at the same pace, so after the same
number of steps the room sees the ring covered on the left and the samples chasing one mode on the right.
Under each plane: modes covered and the share of samples on a mode (metrics.mode_coverage).

scene.options (all optional): {"twin": preset name, "seed": 0, "speed": steps per frame while playing}.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ... import presets
from ...lecture.scene import Scene
from ..common.theme import Theme
from ..common.worker_host import WorkerHost
from ..lecture.fonts import font
from ..lecture.scene_view import HostedSceneView
from .frames import GanFrame
from .page import legend_html
from .plane_view import GanPlaneView
from .worker import GanWorker

__all__ = ["GanView"]

SPEED = 15  # steps per frame while playing: 10,000 steps in about 25 s, slow enough to watch the points glide
_OPTIONS = ("twin", "seed", "speed")


def read_options(options: dict) -> dict:
    """The scene's options with their defaults, checked (a wrong one names itself)."""
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"gan view: unknown option(s) {unknown}; options: {', '.join(_OPTIONS)}")
    out = {"twin": options.get("twin"), "seed": options.get("seed", 0), "speed": options.get("speed", SPEED)}
    if out["twin"] is not None and out["twin"] not in presets.names("gan"):
        raise ValueError(f"gan view: twin {out['twin']!r:.60} is not a GAN preset; GAN presets: {presets.names('gan')}")
    for key in ("seed", "speed"):
        if isinstance(out[key], bool) or not isinstance(out[key], int) or out[key] < (0 if key == "seed" else 1):
            raise ValueError(f"gan view: {key} must be an integer >= {0 if key == 'seed' else 1}, got {out[key]!r}")
    return out


class GanView(QWidget, HostedSceneView):
    def __init__(self, scene: Scene, theme: Theme, parent=None):
        super().__init__(parent, scene=scene, theme=theme)
        self.options = read_options(scene.options or {})
        self.presets = [scene.preset or scene.preset_name] + ([self.options["twin"]] if self.options["twin"] else [])
        self.frames: list[GanFrame | None] = [None] * len(self.presets)
        self.error = ""
        self.planes = [GanPlaneView(theme) for _ in self.presets]
        self.titles = [QLabel(self._title(p)) for p in self.presets]
        self.readouts = [QLabel() for _ in self.presets]
        self.legend = QLabel(legend_html())
        self.legend.setWordWrap(True)
        self._layout()
        self.hosts = []
        for i in range(len(self.presets)):
            host = WorkerHost(GanWorker(speed=self.options["speed"], budget=scene.stop.steps), f"neuralviz-gan-{i}")
            host.frameReady.connect(lambda frame, i=i: self._on_frame(i, frame))
            host.failed.connect(self._on_failed)
            self.hosts.append(host)
        self.host = self.hosts[0]
        self._configure()
        self.set_theme(theme)

    @staticmethod
    def _title(preset) -> str:
        """The preset's title and what differs between the twins: the rates and the noise's size."""
        p = preset if isinstance(preset, dict) else presets.load(preset)
        t, z = p.get("training") or {}, (p.get("latent") or {}).get("dim", "?")
        rates = f"lr G {t.get('lr_g', '?'):g}, D {t.get('lr_d', '?'):g}" if "lr_g" in t and "lr_d" in t else ""
        return f"{p.get('title') or p.get('name') or 'GAN'}<br><small>{rates} · {z}-D noise</small>"

    def _layout(self) -> None:
        grid = QGridLayout()
        for i, (title, plane, readout) in enumerate(zip(self.titles, self.planes, self.readouts)):
            for w in (title, readout):
                w.setAlignment(Qt.AlignmentFlag.AlignCenter)
                w.setWordWrap(True)  # two planes side by side must fit 1024 pixels with large fonts
            grid.addWidget(title, 0, i)
            grid.addWidget(plane, 1, i)
            grid.addWidget(readout, 2, i)
            grid.setColumnStretch(i, 1)
        grid.setRowStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addLayout(grid, 1)
        lay.addWidget(self.legend)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"background: {theme.background}; color: {theme.text};")
        for plane in self.planes:
            plane.set_theme(theme)
        for t in self.titles:
            t.setFont(font(theme.title_pt, bold=True))
        for r in self.readouts:
            r.setFont(font(theme.title_pt + 2))
        self.legend.setFont(font(theme.font_pt + 1))

    # ------------------------------------------------------------------ frames
    def _configure(self) -> None:
        for host, preset in zip(self.hosts, self.presets):
            host.post(host.worker.configure, preset, self.options["seed"])

    def _on_failed(self, text: str) -> None:
        self.error = text
        self.legend.setText(f"Cannot run: {text}")
        self._finish_headless()

    def _on_frame(self, i: int, frame: GanFrame) -> None:
        self.frames[i] = frame
        self.planes[i].show_frame(frame)
        cov = frame.coverage
        said = f"step {frame.step:,}"
        if cov:
            said = (  # two lines, each under its own plane (two readouts on one line ran together at 1024)
                f"<b>{cov['modes_covered']} of {cov['n_modes']}</b> modes · "
                f"{100 * cov['high_quality_fraction']:.0f} % on a mode<br><small>{said}</small>"
            )
        self.readouts[i].setText(said)
        if self.scene.stop.reached(self.current_step()) and self.is_playing():
            self.pause()
        if all(f is not None and f.final for f in self.frames):
            self._finish_headless()

    # ------------------------------------------------------------------ SceneView
    def toggle_play(self) -> None:
        if self.is_playing():
            self.pause()
        elif not self.scene.stop.reached(self.current_step()):
            for host in self.hosts:
                host.play()

    def is_playing(self) -> bool:
        return any(host.playing for host in self.hosts)

    def pause(self) -> None:
        for host in self.hosts:
            host.pause()

    def reset(self) -> None:
        self.pause()
        self.frames = [None] * len(self.presets)
        self._configure()

    def current_step(self) -> int:
        """The step both games have reached (the slower one's)."""
        return min((f.step if f is not None else 0) for f in self.frames)

    def status(self) -> str:
        said = f"step {self.current_step():,d}/{self.scene.stop.steps:,d}"
        return " · ".join(x for x in (said, self.scene.stop.reason(self.current_step()), self.error) if x)

    def run_headless(self, steps: int, done: Callable[[], None]) -> None:
        self._headless = done
        budget = max(0, min(int(steps), self.scene.stop.steps - self.current_step()))
        self.frames = [None] * len(self.frames)  # wait for a final frame from each game
        for host in self.hosts:
            host.train_for(budget)

    def shutdown(self) -> None:
        for host in self.hosts:
            host.shutdown()
