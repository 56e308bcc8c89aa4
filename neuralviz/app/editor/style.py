"""How the editor's canvas looks: node colours by layer family, fonts and pens, from the studio's theme.

The fills are the studio's block-diagram colours (light, so black text stays readable on a projector);
problems are shown by shape as well as colour (a red outline *and* a "!" badge, a dashed red wire), so
they read for colour-blind viewers and in greyscale print.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtGui import QColor, QFont

from ..common.theme import BLOCK_COLOURS, Theme

ACTIVATION_FILL = "#f1f5f9"
ERROR = "#cf222e"
ERROR_TEXT = "#a40e26"
SELECTED = "#0969da"
OUTPUT_TAG = "#183d4e"


@dataclass(frozen=True)
class CanvasStyle:
    theme: Theme
    scale: float  # 1 for normal fonts, 1.5 for large fonts
    text: QColor
    muted: QColor
    border: QColor
    border_width: float
    wire: QColor
    wire_width: float

    def font(self, factor: float = 1.0, bold: bool = False) -> QFont:
        font = QFont()
        font.setPointSizeF(self.theme.font_pt * factor)
        font.setBold(bold)
        return font

    @staticmethod
    def fill(layer_type: str) -> QColor:
        return QColor(BLOCK_COLOURS.get(layer_type, ACTIVATION_FILL if layer_type != "dense" else "#dbeafe"))


def canvas_style(theme: Theme) -> CanvasStyle:
    contrast = theme.high_contrast
    return CanvasStyle(
        theme=theme,
        scale=theme.font_pt / 10.0,
        text=QColor("#000000"),
        muted=QColor("#202020" if contrast else "#57606a"),
        border=QColor("#000000" if contrast else "#30363d"),
        border_width=2.5 if contrast else 1.5,
        wire=QColor("#000000" if contrast else "#57606a"),
        wire_width=3.0 if contrast else 2.0,
    )
