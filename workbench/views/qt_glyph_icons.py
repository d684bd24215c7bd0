"""Qt's built-in media and arrow icons, drawn in the theme's text colour.

Fusion draws these glyphs (play, pause, stop, skip, arrow) black whatever the palette, and on
the dark theme they all but vanish from the toolbars. An icon made by :func:`standard_icon`
repaints such a glyph in the current palette's button text colour each time it is drawn, so it
follows theme switches; every other icon is Qt's own.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QWidget

from workbench.views.qt_themes import palette_is_dark

GLYPHS = frozenset(
    {
        QStyle.StandardPixmap.SP_MediaPlay,
        QStyle.StandardPixmap.SP_MediaPause,
        QStyle.StandardPixmap.SP_MediaStop,
        QStyle.StandardPixmap.SP_MediaSkipBackward,
        QStyle.StandardPixmap.SP_MediaSkipForward,
        QStyle.StandardPixmap.SP_ArrowRight,
    }
)


class _TintedGlyph(QIconEngine):
    """Draws a black glyph in the palette's button text colour when the palette is dark."""

    def __init__(self, base: QIcon) -> None:
        super().__init__()
        self._base = base
        self._cache: dict[tuple[int, int, int, int, int], QPixmap] = {}

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        """The glyph at ``size``, tinted for a dark palette."""
        base = self._base.pixmap(size, mode, state)
        palette = QGuiApplication.palette()
        if base.isNull() or not palette_is_dark(palette):
            return base
        group = (
            QPalette.ColorGroup.Disabled
            if mode == QIcon.Mode.Disabled
            else QPalette.ColorGroup.Active
        )
        color = palette.color(group, QPalette.ColorRole.ButtonText)
        key = (size.width(), size.height(), int(mode.value), int(state.value), color.rgba())
        tinted = self._cache.get(key)
        if tinted is None:
            tinted = QPixmap(base.size())
            tinted.setDevicePixelRatio(base.devicePixelRatio())
            tinted.fill(Qt.GlobalColor.transparent)
            painter = QPainter(tinted)
            painter.drawPixmap(0, 0, base)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
            painter.fillRect(tinted.rect(), color)
            painter.end()
            self._cache[key] = tinted
        return tinted

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        """Draw the glyph into ``rect``."""
        painter.drawPixmap(rect, self.pixmap(rect.size(), mode, state))

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        """The size Qt's own icon has at ``size``."""
        return self._base.actualSize(size, mode, state)

    def clone(self) -> QIconEngine:
        """A copy (Qt copies engines when an icon is detached)."""
        return _TintedGlyph(self._base)


def standard_icon(widget: QWidget, pixmap: QStyle.StandardPixmap) -> QIcon:
    """The style's icon for ``pixmap``; a glyph of :data:`GLYPHS` follows the theme's colours."""
    icon = widget.style().standardIcon(pixmap)
    return QIcon(_TintedGlyph(icon)) if pixmap in GLYPHS else icon
