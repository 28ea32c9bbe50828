"""Draw the plugin icon (resources/icon.png, 64x64) with QPainter; run once, commit the PNG.

A globe of coloured 0.25-degree-like cells (the embedding product seen through a PCA),
with a graticule, on a dark rounded tile.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.PyQt.QtCore import QPointF, QRectF, Qt  # noqa: E402
from qgis.PyQt.QtGui import (  # noqa: E402
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QRadialGradient,
)

SIZE = 64
OUT = Path(__file__).resolve().parent.parent / "resources" / "icon.png"


def cell_colour(x: float, y: float) -> QColor:
    """A smooth three-component field mapped to RGB, like a PCA of embeddings."""
    r = 0.5 + 0.5 * math.sin(2.1 * x + 0.7 * y + 0.3)
    g = 0.5 + 0.5 * math.sin(1.3 * y - 1.7 * x + 2.0)
    b = 0.5 + 0.5 * math.cos(1.9 * x * y + 0.9 * y)
    return QColor(int(40 + 200 * r), int(60 + 180 * g), int(80 + 170 * b))


def draw(size: int = SIZE) -> QImage:
    """Render the icon into an ARGB image."""
    img = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    img.fill(Qt.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing, True)
    s = size / 64.0

    # Tile.
    tile = QRectF(1 * s, 1 * s, 62 * s, 62 * s)
    p.setPen(Qt.NoPen)
    p.setBrush(QColor(23, 37, 61))
    p.drawRoundedRect(tile, 12 * s, 12 * s)

    # Globe clip.
    cx, cy, rad = 32 * s, 32 * s, 25 * s
    globe = QPainterPath()
    globe.addEllipse(QPointF(cx, cy), rad, rad)
    p.save()
    p.setClipPath(globe)
    n = 9
    step = 2 * rad / n
    for i in range(n):
        for j in range(n):
            x = (i + 0.5) / n * 2 - 1
            y = (j + 0.5) / n * 2 - 1
            p.setBrush(cell_colour(x * 1.6, y * 1.6))
            p.drawRect(QRectF(cx - rad + i * step, cy - rad + j * step, step + 0.6, step + 0.6))
    # Shading: light from the upper left.
    shade = QRadialGradient(QPointF(cx - 9 * s, cy - 10 * s), 34 * s)
    shade.setColorAt(0.0, QColor(255, 255, 255, 70))
    shade.setColorAt(0.6, QColor(255, 255, 255, 0))
    shade.setColorAt(1.0, QColor(0, 0, 0, 110))
    p.setBrush(QBrush(shade))
    p.drawEllipse(QPointF(cx, cy), rad, rad)
    # Graticule: meridians as ellipses, parallels as chords.
    p.setBrush(Qt.NoBrush)
    p.setPen(QPen(QColor(255, 255, 255, 150), 1.1 * s))
    for k in (0.35, 0.75):
        p.drawEllipse(QPointF(cx, cy), rad * k, rad)
    p.drawLine(QPointF(cx, cy - rad), QPointF(cx, cy + rad))
    for lat in (-0.5, 0.0, 0.5):
        y = cy + lat * rad
        half = rad * math.sqrt(1 - lat * lat)
        p.drawLine(QPointF(cx - half, y), QPointF(cx + half, y))
    p.restore()

    # Rim.
    p.setBrush(Qt.NoBrush)
    p.setPen(QPen(QColor(236, 242, 250), 2.2 * s))
    p.drawEllipse(QPointF(cx, cy), rad, rad)
    p.end()
    return img


def main() -> int:
    """Write resources/icon.png."""
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    ok = draw().save(str(OUT), "PNG")
    del app
    print(OUT if ok else "failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
