"""Scene views by name: a scene's "view" -> the class that shows it, imported only when a scene needs it.

Each entry is (module, class); the class is a QWidget and a SceneView built as Cls(scene, theme). A view
whose module is missing or that fails to build becomes an UnavailableView that says why in the scene area:
a scene never takes the presenter down, and the talk goes on with the next one.
"""

from __future__ import annotations

import importlib
import traceback

from ...lecture.scene import Scene
from ..common.theme import Theme

VIEW_CLASSES = {
    "race": ("neuralviz.app.race.view", "RaceView"),
    "prior": ("neuralviz.app.lecture.prior_view", "PriorView"),
    "surface": ("neuralviz.app.lecture.surface_view", "SurfaceView"),
    "studio": ("neuralviz.app.lecture.app_view", "AppView"),
    "featuremaps": ("neuralviz.app.lecture.app_view", "AppView"),
    "comparison": ("neuralviz.app.lecture.app_view", "AppView"),
    "sequence": ("neuralviz.app.lecture.app_view", "AppView"),
    "online": ("neuralviz.app.lecture.online_view", "OnlineView"),
    "layers": ("neuralviz.app.lecture.layers_view", "LayersView"),
    "autoencoder": ("neuralviz.app.autoencoder.view", "AutoencoderView"),
    "gan": ("neuralviz.app.gan.view", "GanView"),
    "gan_images": ("neuralviz.app.gan_images.view", "GanImagesView"),
    "texture": ("neuralviz.app.texture.view", "TextureView"),
    "robustness": ("neuralviz.app.robustness.view", "RobustnessView"),
    "segmentation": ("neuralviz.app.segmentation.view", "SegmentationView"),
}


def view_class(name: str) -> type:
    """The class for a view name (ImportError/AttributeError when it is not built yet; ValueError if unknown)."""
    if name not in VIEW_CLASSES:
        raise ValueError(f"unknown view {name!r}; views: {', '.join(VIEW_CLASSES)}")
    module, cls = VIEW_CLASSES[name]
    return getattr(importlib.import_module(module), cls)


_ORPHANS: list = []  # worker hosts of views that failed half-way: kept referenced once stopped


def build_view(scene: Scene, theme: Theme):
    """The scene's view, or an UnavailableView saying why it could not be built."""
    from .unavailable_view import UnavailableView

    if scene.preset_name and scene.preset is None:
        return UnavailableView(scene, theme, f"view not available: the preset {scene.preset_name!r} is not installed")
    try:
        cls = view_class(scene.view)
    except Exception as err:  # noqa: BLE001 - a view not built yet (or broken at import) is shown, never raised
        return UnavailableView(scene, theme, f"view not available: {type(err).__name__}: {err}")
    before = {id(h) for h in _worker_hosts()}
    try:
        return cls(scene, theme)
    except Exception as err:  # noqa: BLE001 - any failure of one scene's view is shown, never raised
        traceback.print_exc()
        _stop_new_hosts(before)
        return UnavailableView(scene, theme, f"view not available: {type(err).__name__}: {err}")


def _worker_hosts() -> list:
    from ..common.worker_host import WorkerHost

    return WorkerHost.live()


def _stop_new_hosts(before: set[int]) -> None:
    """A view that raised half-way may have started a worker thread; Qt aborts the whole process when a
    running QThread is garbage-collected, so those threads are stopped (and kept referenced) here."""
    for host in _worker_hosts():
        if id(host) not in before:
            try:
                host.shutdown()
            except RuntimeError:  # its C++ side is already gone
                continue
            _ORPHANS.append(host)
