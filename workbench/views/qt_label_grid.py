"""Captioned values in a grid that wraps to the width it is given.

A row of "Offset 5  Type Order v1.2.0  Mimetype application/json …" fits a wide window; on a
narrow one (or in presentation mode's larger fonts) the same pairs flow onto more rows, so the
widget never asks for more width than its widest pair and a window never grows for it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

SPACING = 8


class QtLabelGrid(QWidget):
    """Caption-value pairs laid out in as many columns as fit (at most ``max_columns``)."""

    def __init__(
        self, names: list[str], max_columns: int = 4, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.max_columns = max_columns
        self.captions: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(SPACING)
        self._grid.setVerticalSpacing(2)
        for name in names:
            caption = QLabel(name, self)
            caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            value = QLabel(self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.captions[name], self.values[name] = caption, value
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self._columns = 0
        self._arrange(max_columns)

    def set_value(self, name: str, text: str) -> None:
        """Show ``text`` for ``name`` (the grid re-flows if it no longer fits)."""
        self.values[name].setText(text)
        self._arrange(self._fitting(self.width()) if self.width() > 0 else self.max_columns)

    def _pair_width(self, name: str) -> int:
        return (
            self.captions[name].sizeHint().width()
            + self.values[name].sizeHint().width()
            + 2 * SPACING
        )

    def _fitting(self, width: int) -> int:
        names = list(self.values)
        for columns in range(self.max_columns, 0, -1):
            widths = [0] * columns
            for index, name in enumerate(names):
                widths[index % columns] = max(widths[index % columns], self._pair_width(name))
            if sum(widths) <= width:
                return columns
        return 1

    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for index, name in enumerate(self.values):
            row, column = divmod(index, columns)
            self._grid.addWidget(self.captions[name], row, column * 2, Qt.AlignmentFlag.AlignRight)
            self._grid.addWidget(self.values[name], row, column * 2 + 1)
        for column in range(self.max_columns * 2):
            self._grid.setColumnStretch(column, 0)
        self._grid.setColumnStretch(columns * 2 - 1, 1)

    def minimumSizeHint(self) -> QSize:
        widest = max((self._pair_width(name) for name in self.values), default=0)
        return QSize(widest, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(self._fitting(event.size().width()))
        super().resizeEvent(event)
