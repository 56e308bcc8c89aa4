"""Colour mapping for heat-maps: value arrays to RGBA pixels through a 256-entry colour table.

Engine-level (no Qt), so the app, scripts and slide exports draw maps the same way. The mapping
is one pass in C (neuralviz._native.colour) into a buffer the caller may reuse across frames;
the tables themselves (diverging, grey...) belong to whoever chooses the look.
"""

from __future__ import annotations

from .._native.colour import colormap_rgba

__all__ = ["colormap_rgba"]
