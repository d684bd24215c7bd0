"""Render the application icon's PNG sizes from its SVG source (run after editing the SVG).

    python packaging/render_icons.py

Writes ``resources/icons/ensign-workbench-<size>.png`` for every size in ``ICON_SIZES``: the
sizes Linux desktops look for (the hicolor theme), and that PyInstaller turns into a Windows
``.ico`` or a macOS ``.icns``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SOURCE = ICONS / "ensign-workbench.svg"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    """Render every size; return the exit status."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"render_icons: {SOURCE} is not a valid SVG", file=sys.stderr)
        return 1
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = ICONS / f"ensign-workbench-{size}.png"
        if not image.save(str(target)):
            print(f"render_icons: cannot write {target}", file=sys.stderr)
            return 1
        print(target.relative_to(ICONS.parents[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
