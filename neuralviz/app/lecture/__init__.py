"""Lecture mode: the presenter window that walks through the talk scene by scene (neuralviz.lecture)."""
