"""Colours and fonts of the studio: the normal look and the lecture-hall look.

Colour choices (all readable by viewers with the common red-green colour-vision deficiencies):

* values, weights and the two classes of binary data use the TensorFlow Playground's orange-white-blue
  diverging map (orange = negative / class 0, blue = positive / class 1): orange and blue differ in both
  hue and lightness, so they stay apart under deuteranopia and protanopia and in greyscale print;
* more than two classes use the Okabe-Ito palette, designed to stay distinct for colour-blind viewers;
* train and test curves differ by dash style as well as colour.

The "high contrast" variant darkens the colours and the text and thickens lines and point outlines, for
washed-out projectors; "large fonts" scales every font (Qt widgets and plot axes) by 1.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# TensorFlow Playground colours (its d3 colour scale for -1 .. 0 .. 1)
PLAYGROUND_ORANGE = "#f59322"
PLAYGROUND_BLUE = "#0877bd"
PLAYGROUND_NEUTRAL = "#e8eaeb"

# Okabe & Ito (2008), "Color Universal Design": distinct for all common colour-vision types
OKABE_ITO = ("#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")


@dataclass(frozen=True)
class Theme:
    """Everything the views need to draw; built by make_theme()."""

    large_fonts: bool
    high_contrast: bool
    font_pt: float  # base font size of the widgets
    plot_font_pt: float  # axis tick labels
    title_pt: float  # panel titles
    negative: str  # class 0 / negative values / negative weights
    positive: str  # class 1 / positive values / positive weights
    neutral: str  # zero
    classes: tuple[str, ...]  # colours of classes 0..K-1 for K > 2
    text: str
    muted_text: str
    background: str
    panel: str
    point_size: float
    point_outline: str
    point_outline_width: float
    line_width: float
    edge_max_width: float
    train_curve: str
    test_curve: str

    def class_color(self, k: int, num_classes: int) -> str:
        """Colour of class k: orange/blue for two classes (as the map), Okabe-Ito beyond."""
        if num_classes <= 2:
            return (self.negative, self.positive)[min(k, 1)]
        return self.classes[k % len(self.classes)]


# colours of layer families in the studio's block diagram and the editor's nodes (light fills, dark text stays readable)
BLOCK_COLOURS = {
    "dense": "#dbeafe",
    "conv2d": "#dcfce7",
    "conv_transpose2d": "#dcfce7",
    "upsample": "#fef9c3",
    "maxpool2d": "#fef9c3",
    "avgpool2d": "#fef9c3",
    "flatten": "#f3f4f6",
    "lstm": "#fce7f3",
    "gru": "#fce7f3",
    "rnn": "#fce7f3",
    "embedding": "#ede9fe",
    "add": "#ffedd5",
    "concat": "#ffedd5",
    "input": "#e5e7eb",
}


def make_theme(large_fonts: bool = False, high_contrast: bool = False) -> Theme:
    scale = 1.5 if large_fonts else 1.0
    if high_contrast:
        colours = dict(
            negative="#d35f00",
            positive="#005a9c",
            neutral="#ffffff",
            text="#000000",
            muted_text="#202020",
            background="#ffffff",
            panel="#ffffff",
            point_outline="#000000",
            point_outline_width=1.5,
            line_width=3.0,
            edge_max_width=8.0,
            train_curve="#000000",
            test_curve="#d35f00",
        )
    else:
        colours = dict(
            negative=PLAYGROUND_ORANGE,
            positive=PLAYGROUND_BLUE,
            neutral=PLAYGROUND_NEUTRAL,
            text="#1f2328",
            muted_text="#59636e",
            background="#f7f7f7",
            panel="#ffffff",
            point_outline="#ffffff",
            point_outline_width=1.0,
            line_width=2.0,
            edge_max_width=6.0,
            train_curve="#0072b2",
            test_curve="#d55e00",
        )
    return Theme(
        large_fonts=large_fonts,
        high_contrast=high_contrast,
        font_pt=10 * scale,
        plot_font_pt=9 * scale,
        title_pt=12 * scale,
        classes=OKABE_ITO,
        point_size=(9 if high_contrast else 8) * (1.2 if large_fonts else 1.0),
        **colours,
    )


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def diverging_lut(theme: Theme) -> np.ndarray:
    """(256, 4) uint8 RGBA table: row 0 = theme.negative, row 128 = theme.neutral, row 255 = theme.positive.

    Interpolated in RGB like the Playground's d3 scale; used with neuralviz.viz.colormap_rgba.
    """
    lo, mid, hi = (np.array(hex_to_rgb(c), dtype=np.float64) for c in (theme.negative, theme.neutral, theme.positive))
    t = np.linspace(-1.0, 1.0, 256)[:, None]
    rgb = np.where(t < 0, mid + (lo - mid) * (-t), mid + (hi - mid) * t)
    lut = np.empty((256, 4), dtype=np.uint8)
    lut[:, :3] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    lut[:, 3] = 255
    return lut


def class_rgb(theme: Theme, num_classes: int) -> np.ndarray:
    """(K, 3) float array of the class colours in [0, 255]."""
    return np.array([hex_to_rgb(theme.class_color(k, num_classes)) for k in range(num_classes)], dtype=np.float32)


def stylesheet(theme: Theme) -> str:
    """Qt style sheet for the window: panel titles, the play button, the message banner."""
    return f"""
    QMainWindow, QWidget#studioCentral {{ background: {theme.background}; }}
    QLabel {{ color: {theme.text}; }}
    QLabel[role="title"] {{ font-size: {theme.title_pt:.0f}pt; font-weight: bold; color: {theme.text};
                            letter-spacing: 1px; }}
    QLabel[role="hint"] {{ color: {theme.muted_text}; }}
    QLabel[role="counter"] {{ font-size: {theme.title_pt * (1.25 if theme.large_fonts else 1.6):.0f}pt;
                              color: {theme.text}; min-width: 5.5em; }}
    QLabel[role="metric"] {{ font-size: {theme.font_pt * 1.2:.0f}pt; color: {theme.text}; }}
    QFrame[role="panel"] {{ background: {theme.panel}; border: 1px solid #d0d7de; border-radius: 6px; }}
    QToolButton#playButton {{ border-radius: 26px; background: #183d4e; color: white; }}
    QToolButton#playButton:hover {{ background: #24566d; }}
    QFrame#messagePanel[level="error"] {{ background: #ffebe9; border: 2px solid #cf222e; border-radius: 6px; }}
    QFrame#messagePanel[level="info"] {{ background: #ddf4ff; border: 2px solid #0969da; border-radius: 6px; }}
    QFrame#messagePanel QLabel {{ color: #000000; }}
    """
