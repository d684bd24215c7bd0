"""The event table's view: cells painted from text laid out once, not on every repaint.

Qt's own delegate asks the model for seven roles per cell (seven calls into Python) and lays
each text out again on every paint. A live tail repaints the table up to ten times a second,
and a 1100 by 700 pixel table cost about 40 ms a paint. Here the view takes the fonts and
colours once per repaint, and the delegate takes each cell's text and look from
:meth:`QtEventPagesModel.cell` in one call and draws a :class:`QStaticText` kept per font, text
and width: under 10 ms.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPalette,
    QStaticText,
)
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionFocusRect,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from workbench.models.event_pages import NUMERIC_COLUMNS, Column
from workbench.views.qt_event_pages_model import CellLook, QtEventPagesModel, cell_font

LAYOUT_CACHE_SIZE = 20_000
"""Laid-out texts kept; past this the cache starts over (a flood brings new texts all the time)."""

_NUMERIC = frozenset(int(c) for c in NUMERIC_COLUMNS)
_SELECTED = QStyle.StateFlag.State_Selected.value
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight


_CUT_AT_START = frozenset({Column.ID, Column.COMMITTED, Column.CREATED})


def cell_elide(column: int) -> Qt.TextElideMode:
    """Where a cell too long for its column is cut: at its start for an id (an RLID in hex: 12
    digits of milliseconds, then 8 of a sequence) and a time (``2026-11-30 06:36:33.123``), so
    that what tells neighbouring events apart stays in view (in presentation mode's larger font,
    for one); any other text at its end."""
    return Qt.TextElideMode.ElideLeft if column in _CUT_AT_START else _ELIDE_RIGHT


_FOCUSED = QStyle.StateFlag.State_HasFocus.value


class _Font:
    """A font with what drawing needs of it, and an id that names it in the layout cache."""

    __slots__ = ("font", "height", "id", "metrics")

    def __init__(self, font: QFont, font_id: int) -> None:
        self.font = font
        self.id = font_id
        self.metrics = QFontMetricsF(font)
        self.height = self.metrics.height()


class QtEventCellDelegate(QStyledItemDelegate):
    """Draws an event table cell: selection, dimmed placeholders and duplicates, elided text."""

    def __init__(self, model: QtEventPagesModel, view: QtEventTableView) -> None:
        super().__init__(view)
        self._model = model
        self._view = view
        self._base = QFont()
        self._fonts: dict[tuple[bool, bool], _Font] = {}
        self._layouts: dict[tuple[int, str, int, Qt.TextElideMode], tuple[QStaticText, float]] = {}
        self._colors: dict[tuple[bool, CellLook], QColor] = {}
        self._highlight = QColor()
        margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view)
        self._margin = margin + 1  # as Qt's own item text margin

    def begin_paint(self) -> None:
        """Take the view's font and colours for the repaint about to happen."""
        font = self._view.font()
        if font != self._base or not self._fonts:
            self._base = QFont(font)
            looks = [(fixed, italic) for fixed in (False, True) for italic in (False, True)]
            self._fonts = {
                look: _Font(cell_font(self._base, *look), font_id)
                for font_id, look in enumerate(looks)
            }
            self._layouts.clear()  # laid out in the old fonts
        palette = self._view.palette()
        if not self._view.isEnabled():
            group = QPalette.ColorGroup.Disabled
        elif self._view.isActiveWindow():
            group = QPalette.ColorGroup.Active
        else:
            group = QPalette.ColorGroup.Inactive
        self._highlight = palette.color(group, QPalette.ColorRole.Highlight)
        text = palette.color(group, QPalette.ColorRole.Text)
        dim = palette.color(group, QPalette.ColorRole.PlaceholderText)
        selected = palette.color(group, QPalette.ColorRole.HighlightedText)
        for look in CellLook:
            self._colors[(False, look)] = text if look is CellLook.NORMAL else dim
            self._colors[(True, look)] = selected

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Paint one cell."""
        column = index.column()
        text, look = self._model.cell(index.row(), column)
        rect = option.rect
        state = option.state.value
        selected = bool(state & _SELECTED)
        if selected:
            painter.fillRect(rect, self._highlight)
        font = self._fonts[(column == Column.ID, look is CellLook.DUPLICATE)]
        width = rect.width() - 2 * self._margin
        if width > 0:
            elide = cell_elide(column)
            static, text_width = self._layout(font, text, width, elide)
            x = float(rect.x() + self._margin)
            if column in _NUMERIC:
                x += width - text_width
            painter.setFont(font.font)
            painter.setPen(self._colors[(selected, look)])
            painter.drawStaticText(QPointF(x, rect.y() + (rect.height() - font.height) / 2), static)
        if state & _FOCUSED:
            self._draw_focus(painter, option, selected)

    def _draw_focus(self, painter: QPainter, option: QStyleOptionViewItem, selected: bool) -> None:
        """The current cell's focus frame, as Qt's own delegate draws it."""
        frame = QStyleOptionFocusRect()
        frame.rect = option.rect
        frame.state = (
            option.state | QStyle.StateFlag.State_KeyboardFocusChange | QStyle.StateFlag.State_Item
        )
        frame.palette = option.palette
        frame.backgroundColor = option.palette.color(
            QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Window
        )
        style = self._view.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, frame, painter, self._view)

    def _layout(
        self, font: _Font, text: str, width: int, elide: Qt.TextElideMode
    ) -> tuple[QStaticText, float]:
        key = (font.id, text, width, elide)
        found = self._layouts.get(key)
        if found is None:
            if len(self._layouts) >= LAYOUT_CACHE_SIZE:
                self._layouts.clear()
            shown = font.metrics.elidedText(text, elide, width)
            static = QStaticText(shown)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(font=font.font)
            found = self._layouts[key] = (static, font.metrics.horizontalAdvance(shown))
        return found


class QtEventTableView(QTableView):
    """A table of a topic's events, painted by :class:`QtEventCellDelegate`."""

    def __init__(self, model: QtEventPagesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.cell_delegate = QtEventCellDelegate(model, self)
        self.setItemDelegate(self.cell_delegate)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the cells in view, with this repaint's fonts and colours."""
        self.cell_delegate.begin_paint()
        super().paintEvent(event)
