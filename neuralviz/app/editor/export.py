"""Exporting the drawing for slides: PNG (at twice the screen resolution, for sharp projection) and SVG
(vector, scales to any size). Only the drawing is exported, on white, without the selection highlight."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QImage, QPainter
from PyQt6.QtSvg import QSvgGenerator

from .scene import GraphScene

BORDER = 24.0


def _area(scene: GraphScene) -> QRectF:
    return scene.drawing_rect().adjusted(-BORDER, -BORDER, BORDER, BORDER)


def _render(scene: GraphScene, painter: QPainter, target: QRectF, source: QRectF) -> None:
    selected = [i for i in scene.selectedItems()]
    for item in selected:
        item.setSelected(False)
    try:
        scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    finally:
        for item in selected:
            item.setSelected(True)


def render_image(scene: GraphScene, scale: float = 2.0) -> QImage:
    """The drawing as an image, `scale` pixels per scene unit."""
    source = _area(scene)
    size = QSize(max(1, int(source.width() * scale)), max(1, int(source.height() * scale)))
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    _render(scene, painter, QRectF(0, 0, size.width(), size.height()), source)
    painter.end()
    return image


def export_png(scene: GraphScene, path, scale: float = 2.0) -> bool:
    return render_image(scene, scale).save(str(path), "PNG")


def export_svg(scene: GraphScene, path, title: str = "neuralviz network") -> bool:
    source = _area(scene)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(title)
    generator.setDescription("Drawn with the neuralviz architecture editor")
    painter = QPainter()
    if not painter.begin(generator):
        return False
    painter.fillRect(QRectF(0, 0, source.width(), source.height()), QColor("#ffffff"))
    _render(scene, painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()
    return Path(path).is_file() and Path(path).stat().st_size > 0
