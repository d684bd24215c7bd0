"""A row of controls that wraps onto more lines when the window is too narrow for it.

A toolbar row in a ``QHBoxLayout`` asks for the sum of its controls' widths: with presentation
mode's larger fonts, a few such rows asked for more than a 1280-pixel screen and pushed the window
wider than the screen. In a :class:`QtFlowLayout` the row asks only for its widest item and
wraps the rest (the height follows the width, through Qt's height-for-width protocol).

Keep a label with its field by adding both as one group (:meth:`QtFlowLayout.add_group`). An
item that expands horizontally (a :meth:`QtFlowLayout.add_stretch`, or a widget whose size
policy expands) takes its line's leftover width, so a line can still push its last controls to
the right. Items are centred on their line's height unless aligned to its top or bottom
(``setAlignment``).
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLayout,
    QLayoutItem,
    QSizePolicy,
    QSpacerItem,
    QStyle,
    QWidget,
)


class QtFlowLayout(QLayout):
    """Items left to right, wrapping to a new line where the width runs out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        if parent is None:
            self.setContentsMargins(0, 0, 0, 0)

    # -- filling ------------------------------------------------------------------------------

    def add_group(self, *widgets: QWidget) -> QHBoxLayout:
        """Widgets that wrap together (e.g. a label and its field)."""
        group = QHBoxLayout()
        group.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            group.addWidget(widget)
        self.addChildLayout(group)
        self._items.append(group)
        self.invalidate()
        return group

    def add_stretch(self) -> None:
        """Leftover width on its line goes here (nothing, at the start of a wrapped line)."""
        self.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum))

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        if 0 <= index < len(self._items):
            self.invalidate()
            return self._items.pop(index)
        return None

    # -- sizes --------------------------------------------------------------------------------

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        shown = self._shown()
        gap = self._gap()
        width = sum(i.sizeHint().width() for i in shown) + gap * max(len(shown) - 1, 0)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width, height).grownBy(self.contentsMargins())

    def minimumSize(self) -> QSize:
        """The widest item (each line holds at least one)."""
        size = QSize()
        for item in self._shown():
            size = size.expandedTo(item.minimumSize())
        return size.grownBy(self.contentsMargins())

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    # -- placing ------------------------------------------------------------------------------

    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _gap(self) -> int:
        spacing = self.spacing()
        if spacing >= 0:
            return spacing
        parent = self.parent()
        if isinstance(parent, QLayout):
            return max(parent.spacing(), 0)
        if isinstance(parent, QWidget):
            return parent.style().pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing)
        return 6

    def _lines(self, width: int) -> list[list[QLayoutItem]]:
        gap = self._gap()
        lines: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._shown():
            wanted = item.sizeHint().width()
            if lines[-1] and used + gap + wanted > width:
                lines.append([])
                used = 0
            if not lines[-1] and isinstance(item, QSpacerItem):
                continue  # a stretch opening a wrapped line would only indent it
            used += (gap if lines[-1] else 0) + wanted
            lines[-1].append(item)
        return [line for line in lines if line]

    def _arrange(self, rect: QRect, place: bool) -> int:
        """Lay the items out in ``rect`` (when ``place``); return the height they need."""
        margins: QMargins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        gap = self._gap()
        y = area.y()
        for line in self._lines(area.width()):
            height = max(item.sizeHint().height() for item in line)
            widths = [min(item.sizeHint().width(), area.width()) for item in line]
            leftover = area.width() - sum(widths) - gap * (len(line) - 1)
            growing = [
                i
                for i, item in enumerate(line)
                if item.expandingDirections() & Qt.Orientation.Horizontal
            ]
            if leftover > 0 and growing:
                share, extra = divmod(leftover, len(growing))
                for rank, index in enumerate(growing):
                    widths[index] += share + (1 if rank < extra else 0)
            x = area.x()
            for item, item_width in zip(line, widths, strict=True):
                if place:
                    item_height = min(height, max(item.sizeHint().height(), 0))
                    top = y + (height - item_height) // 2  # centred, unless aligned
                    if item.alignment() & Qt.AlignmentFlag.AlignTop:
                        top = y
                    elif item.alignment() & Qt.AlignmentFlag.AlignBottom:
                        top = y + height - item_height
                    item.setGeometry(QRect(QPoint(x, top), QSize(item_width, item_height)))
                x += item_width + gap
            y += height + gap
        return max(y - gap - area.y(), 0) + margins.top() + margins.bottom()


def fit_combo(combo: QComboBox, characters: int) -> None:
    """Size ``combo`` for ``characters`` characters, not for its longest item (a long topic name
    would otherwise widen its row, and the window); the open list still shows whole items."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    view = combo.view()
    if view is not None:
        view.setTextElideMode(Qt.TextElideMode.ElideNone)
        view.setMinimumWidth(0)
        combo.model().rowsInserted.connect(lambda *_: _fit_popup(combo))


def _fit_popup(combo: QComboBox) -> None:
    width = max(
        (combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count())),
        default=0,
    )
    combo.view().setMinimumWidth(width + 32)
