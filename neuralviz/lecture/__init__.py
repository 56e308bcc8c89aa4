"""Lecture mode without Qt: the scenes of the talk (assets/lecture/*.json), their stopping rules and the
recording of frames to a file. The presenter window lives in neuralviz.app.lecture."""

from .scene import Scene, StopRule, find_scene, load_scenes

__all__ = ["Scene", "StopRule", "find_scene", "load_scenes"]
