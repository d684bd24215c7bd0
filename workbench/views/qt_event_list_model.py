"""A table model over events held in memory, such as a query's results.

Besides the fixed columns, each metadata key found in the events gets a column of its own (in
the order the keys first appear, before the Preview), so the field a WHERE filtered on shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from workbench.client.records import EventRow
from workbench.models.event_pages import Column, cell_text
from workbench.models.time_display import TimeZoneChoice, column_title, stamp_ms

COLUMNS = ("Offset", "Committed", "Type", "Mimetype", "Size")
"""The columns before the metadata columns; the Preview comes last."""
OFFSET, COMMITTED, TYPE, MIMETYPE, SIZE = range(len(COLUMNS))
_COLUMN_TIPS = (
    "The event's position in its topic",
    "When the broker committed the event (the tooltip adds when it was created)",
    "The event type and its version",
    "How the payload is encoded",
    "The payload's size",
)
_PREVIEW_TIP = "The start of the payload"
EVENT_ROLE = Qt.ItemDataRole.UserRole
"""The role under which :meth:`QtEventListModel.data` serves the whole :class:`EventRow`."""

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class QtEventListModel(QAbstractTableModel):
    """Rows of events; :meth:`append` adds many at once (one insert per call)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[EventRow] = []
        self._keys: list[str] = []  # metadata keys, in the order they first appeared
        self._zone = TimeZoneChoice.LOCAL

    def set_time_zone(self, zone: TimeZoneChoice) -> None:
        """Show times in ``zone`` (the Committed header says which)."""
        self._zone = zone
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, COMMITTED, COMMITTED)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COMMITTED), self.index(len(self._rows) - 1, COMMITTED)
            )

    # -- changes ------------------------------------------------------------------------------

    def append(self, rows: Sequence[EventRow]) -> None:
        """Add rows at the end, in a single insertion."""
        if not rows:
            return
        new = list(dict.fromkeys(k for row in rows for k in row.metadata if k not in self._keys))
        if new:
            first = len(COLUMNS) + len(self._keys)
            self.beginInsertColumns(QModelIndex(), first, first + len(new) - 1)
            self._keys.extend(new)
            self.endInsertColumns()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def clear(self) -> None:
        """Remove every row (and the metadata columns)."""
        self.beginResetModel()
        self._rows = []
        self._keys = []
        self.endResetModel()

    # -- access -------------------------------------------------------------------------------

    def row_at(self, index: _Index | int) -> EventRow | None:
        """The event in a row (by index or row number), or None outside the model."""
        row = index if isinstance(index, int) else (index.row() if index.isValid() else -1)
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[EventRow]:
        """A snapshot of every row."""
        return list(self._rows)

    def metadata_keys(self) -> list[str]:
        """The metadata keys that have columns, in column order."""
        return list(self._keys)

    @property
    def preview_column(self) -> int:
        """The last column: the start of the payload."""
        return len(COLUMNS) + len(self._keys)

    # -- QAbstractTableModel ------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.preview_column + 1

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section <= self.preview_column:
            return None
        key = self._key(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if key is not None:
                return key
            if section == COMMITTED:
                return column_title(COLUMNS[section], self._zone)
            return COLUMNS[section] if section < len(COLUMNS) else "Preview"
        if role == Qt.ItemDataRole.ToolTipRole:
            if key is not None:
                return f"The metadata key {key}"
            return _COLUMN_TIPS[section] if section < len(COLUMNS) else _PREVIEW_TIP
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if section in (OFFSET, SIZE) else _LEFT
        return None

    def _key(self, column: int) -> str | None:
        """The metadata key a column shows (None for the other columns)."""
        index = column - len(COLUMNS)
        return self._keys[index] if 0 <= index < len(self._keys) else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        event = self.row_at(index)
        if event is None:
            return None
        column = index.column()
        key = self._key(column)
        if role == Qt.ItemDataRole.DisplayRole or (key and role == Qt.ItemDataRole.ToolTipRole):
            if key is not None:
                return event.metadata.get(key, "")
            return _display(event, column, self._zone)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in (OFFSET, SIZE) else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(event, column, self._zone)
        if role == EVENT_ROLE:
            return event
        return None


_AS_EVENT_TABLE = (
    Column.OFFSET,
    Column.COMMITTED,
    Column.TYPE,
    Column.MIMETYPE,
    Column.SIZE,
)
"""Each fixed column's counterpart in the event table, whose texts it shows."""


def _display(event: EventRow, column: int, zone: TimeZoneChoice) -> str:
    if column >= len(_AS_EVENT_TABLE):
        return cell_text(event, Column.PREVIEW)
    return cell_text(event, _AS_EVENT_TABLE[column], zone)


def _tooltip(event: EventRow, column: int, zone: TimeZoneChoice) -> str:
    if column == COMMITTED:
        created = f"\ncreated {stamp_ms(event.created_ms, zone)}" if event.created_ms else ""
        return f"committed {stamp_ms(event.committed_ms, zone)}{created}"
    if column >= len(COLUMNS):
        return event.preview(600)
    if column == OFFSET:
        duplicate = " (a duplicate)" if event.is_duplicate else ""
        return f"id {event.id.hex()}{duplicate}"
    if column == SIZE:
        return f"{event.size:,} bytes"
    return _display(event, column, zone)
