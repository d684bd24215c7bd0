"""The topic profile's two tables: its fields, and its drift.

Both are a :class:`QtCellsModel`: rows of ready-made :class:`Cell` values (text, sort key,
tooltip), replaced as a whole on each refresh of the profile (a few times a second at most).
While one profile grows, rows are only ever added at the end, so selection and scrolling stay
put.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from workbench.models.event_pages import format_ms
from workbench.models.profile_drift import Drift
from workbench.models.profile_text import number_text, percent, top_text, types_text
from workbench.models.topic_profile import FieldProfile

SORT_ROLE = Qt.ItemDataRole.UserRole
FIELD_COLUMNS = (
    "Path",
    "Types",
    "Missing",
    "Null",
    "Min",
    "Max",
    "Mean",
    "First",
    "Last",
    "Top values",
)
FIELD_NUMBERS = frozenset({2, 3, 4, 5, 6, 7, 8})
DRIFT_COLUMNS = ("Offset", "Time", "Path", "Change")
DRIFT_NUMBERS = frozenset({0})
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: what it shows, how it sorts, and its tooltip."""

    text: str
    key: str | float = ""
    tip: str = ""


Row = tuple[Cell, ...]


def field_row(field: FieldProfile, objects: int) -> Row:
    """A field path's cells, in :data:`FIELD_COLUMNS` order."""
    counts = "\n".join(f"{name}: {count:,}" for name, count in field.types.items())
    top = "\n".join(f"{value}: {count:,}" for value, count in field.top_values[:20])
    if field.top_error:
        top += f"\n(counts may be short by up to {field.top_error:,})"
    return (
        Cell(field.path, field.path, field.path),
        Cell(types_text(field), types_text(field), f"{field.values:,} values\n{counts}"),
        Cell(
            percent(field.missing, objects),
            field.missing,
            f"missing from {field.missing:,} of {objects:,} JSON objects",
        ),
        Cell(percent(field.nulls, field.values), field.nulls, f"{field.nulls:,} null values"),
        _number(field.minimum),
        _number(field.maximum),
        _number(field.mean),
        Cell(f"{field.first_offset:,}", field.first_offset, "first seen at this offset"),
        Cell(f"{field.last_offset:,}", field.last_offset, "last seen at this offset"),
        Cell(top_text(field), top_text(field), top),
    )


def drift_row(drift: Drift) -> Row:
    """A drift's cells, in :data:`DRIFT_COLUMNS` order."""
    change = drift.change if drift.change != "type" else f"type: {drift.type_change}"
    return (
        Cell(f"{drift.offset:,}", drift.offset),
        Cell(format_ms(drift.committed_ms), drift.committed_ms),
        Cell(drift.path, drift.path, drift.path),
        Cell(change, change, drift.describe()),
    )


def _number(value: float | None) -> Cell:
    return Cell(number_text(value), float("-inf") if value is None else float(value), str(value))


class QtCellsModel(QAbstractTableModel):
    """A table of :class:`Cell` rows under fixed column titles; ``widened`` when a column's
    longest text grew (so that the view can fit its columns again, and only then).

    Args:
        columns: the column titles.
        numbers: the columns aligned right.
    """

    def __init__(
        self, columns: Sequence[str], numbers: frozenset[int], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.numbers = numbers
        self.rows: list[Row] = []
        self._widest = [0] * len(self.columns)

    widened = Signal()

    def set_rows(self, rows: Sequence[Row], grown: bool = False) -> None:
        """Show ``rows``; ``grown``: they are the rows shown before, updated, and new ones
        after them (kept in place rather than reset)."""
        before = len(self.rows)
        widest = [
            max((len(row[c].text) for row in rows), default=0) for c in range(len(self.columns))
        ]
        wider = any(new > old for new, old in zip(widest, self._widest, strict=True))
        self._widest = widest
        if not grown or len(rows) < before:
            self.beginResetModel()
            self.rows = list(rows)
            self.endResetModel()
            return
        if len(rows) > before:
            self.beginInsertRows(QModelIndex(), before, len(rows) - 1)
            self.rows = list(rows)
            self.endInsertRows()
        else:
            self.rows = list(rows)
        if before:
            last = self.index(before - 1, len(self.columns) - 1)
            self.dataChanged.emit(self.index(0, 0), last)
        if wider:
            self.widened.emit()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        cell = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == SORT_ROLE:
            return cell.key
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tip or None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.numbers:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None


class QtCellsTable(QTableView):
    """A sortable, read-only table over a :class:`QtCellsModel` whose columns fit their text,
    each at most ``max_chars`` characters wide (the last one takes the room left)."""

    def __init__(
        self, model: QtCellsModel, max_chars: int = 32, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.cells = model
        self.max_chars = max_chars
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        self.setModel(proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the model's order until asked
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        model.modelReset.connect(self.fit_columns)
        model.widened.connect(self.fit_columns)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.fit_columns()

    def fit_columns(self) -> None:
        """Size the rows to the font, and the columns to their text (and titles), within
        ``max_chars`` characters."""
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        limit = self.fontMetrics().averageCharWidth() * self.max_chars
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for column in range(self.cells.columnCount() - 1):
            header.resizeSection(column, min(header.sectionSize(column), limit))
