"""A topic's events as a table model: pages on demand, or the matching loaded ones while filtering.

The model's row count is the topic's event count; rows are served from an :class:`EventPages`
cache and a row not loaded yet shows a placeholder while its page is fetched (once the view
has stopped scrolling, and only the pages in view).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QPalette

from workbench.client.records import EventPage, EventRow, TopicRow
from workbench.client.stream_client import StreamClient
from workbench.models.event_pages import (
    NUMERIC_COLUMNS,
    TIME_COLUMNS,
    Column,
    EventPages,
    cell_text,
)
from workbench.models.event_search import EventSearch, fold
from workbench.models.time_display import TimeZoneChoice
from workbench.views.qt_session import QtSession

PLACEHOLDER = "…"
FETCH_SETTLE_MS = 80
TEXT_CACHE_ROWS = 5_000
"""Rows whose cell texts are kept (a repaint asks for every visible cell's text)."""
EVENT_ROLE = Qt.ItemDataRole.UserRole
"""The role under which the model serves a row's :class:`EventRow` (None if not loaded)."""

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_TIPS = {
    Column.OFFSET: "The event's position in its topic (1 is the first)",
    Column.ID: "The event's id (RLID), in hex",
    Column.COMMITTED: "When the broker committed the event",
    Column.CREATED: "When the publisher says it created the event",
    Column.TYPE: "The event type and its version",
    Column.MIMETYPE: "How the payload is encoded",
    Column.SIZE: "The payload's size",
    Column.PREVIEW: "The start of the payload",
}


class CellLook(enum.IntEnum):
    """How a cell's text is drawn."""

    NORMAL = 0
    PENDING = 1
    """Not loaded yet: a placeholder, dimmed."""
    DUPLICATE = 2
    """A duplicate of an earlier event: dimmed and in italics."""


_COLUMNS = tuple(Column)


class QtEventPagesModel(QAbstractTableModel):
    """A topic's events, loaded a page at a time; or, while filtering, the matching loaded ones."""

    size_seen = Signal(int)  # a read learned the topic's current event count

    def __init__(self, session: QtSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        session.time_zone_changed.connect(self._time_zone_changed)
        self.topic: TopicRow | None = None
        self.pages = EventPages()
        self.fetched_pages = 0  # pages asked of the broker since the topic was shown
        self._generation = 0
        self._in_flight: set[int] = set()
        self._wanted: set[int] = set()
        self._needle = ""
        self._matches: list[EventRow] = []
        self._search = EventSearch()
        self._texts: dict[int, tuple[str, ...]] = {}  # offset -> every column's text
        self._visible: Callable[[], tuple[int, int]] | None = None
        self._fetch_timer = QTimer(self)
        self._fetch_timer.setSingleShot(True)
        self._fetch_timer.setInterval(FETCH_SETTLE_MS)
        self._fetch_timer.timeout.connect(self._fetch_wanted)

    # -- what is shown ------------------------------------------------------------------------

    def set_topic(self, topic: TopicRow | None) -> None:
        """Show a topic's events (none loaded yet), or nothing."""
        self.beginResetModel()
        self.topic = topic
        self.pages = EventPages(topic.events if topic else 0)
        self._restart()
        self._needle, self._matches = "", []
        self._search.clear()
        self.endResetModel()

    def invalidate(self) -> None:
        """Forget every loaded page; rows in view are fetched again."""
        self.beginResetModel()
        self.pages.invalidate()
        self._restart()
        self._matches = []
        self._search.clear()
        self.endResetModel()

    def _restart(self) -> None:
        self._texts.clear()
        self._generation += 1
        self.fetched_pages = 0
        self._in_flight.clear()
        self._wanted.clear()

    def set_visible_rows(self, visible: Callable[[], tuple[int, int]]) -> None:
        """Tell the model how to find the rows in view (the pages it fetches)."""
        self._visible = visible

    @property
    def filtering(self) -> bool:
        """True while a filter shows only matching loaded events."""
        return bool(self._needle)

    def set_filter(self, text: str) -> None:
        """Show only the loaded events where ``text`` occurs in what the views show of them
        (see :mod:`workbench.models.event_search`); all rows when empty."""
        needle = fold(text)
        if needle == self._needle:
            return
        self.beginResetModel()
        self._needle = needle
        self._matches = [e for e in self.pages.loaded() if self._matches_needle(e)]
        self.endResetModel()

    def _matches_needle(self, event: EventRow) -> bool:
        return self._search.matches(event, self._needle, self._session.time_zone)

    def loaded_count(self) -> int:
        """How many events are loaded (what a filter searches)."""
        return sum(1 for _ in self.pages.loaded())

    # -- rows and offsets ---------------------------------------------------------------------

    def event_at(self, row: int) -> EventRow | None:
        """The event in a row, or None if it is not loaded (or out of range)."""
        if self._needle:
            return self._matches[row] if 0 <= row < len(self._matches) else None
        return self.pages.row(row)

    def row_of_offset(self, offset: int) -> int:
        """The row showing an offset (while filtering: the first match at or after it)."""
        if self._needle:
            for row, event in enumerate(self._matches):
                if event.offset >= offset:
                    return row
            return len(self._matches) - 1
        return min(max(offset, 1), self.pages.count) - 1

    # -- growth -------------------------------------------------------------------------------

    def add_events(self, events: list[EventRow], count: int = 0) -> None:
        """Store events (a live tail's) and grow to ``count`` or the last offset, in one insert."""
        old = self.pages.count
        new = max([old, count, *(e.offset for e in events)])
        if self._needle:
            self.pages.grow(new)
            self.pages.store_rows(events)
            last = self._matches[-1].offset if self._matches else 0
            found = [e for e in events if e.offset > last and self._matches_needle(e)]
            if found:
                first = len(self._matches)
                self.beginInsertRows(QModelIndex(), first, first + len(found) - 1)
                self._matches.extend(found)
                self.endInsertRows()
            return
        if new > old:
            self.beginInsertRows(QModelIndex(), old, new - 1)
            self.pages.grow(new)
            self.pages.store_rows(events)
            self.endInsertRows()
        else:
            self.pages.store_rows(events)
        refreshed = [e.offset - 1 for e in events if e.offset <= old]
        if refreshed:
            self._rows_changed(min(refreshed), max(refreshed))

    # -- fetching -----------------------------------------------------------------------------

    def request_visible(self) -> None:
        """Fetch what is in view once scrolling settles (each call restarts the wait)."""
        self._fetch_timer.start()

    def _want(self, row: int) -> None:
        self._wanted.add(self.pages.page_of(row))
        if not self._fetch_timer.isActive():  # repaints must not postpone it forever
            self._fetch_timer.start()

    def _fetch_wanted(self) -> None:
        if self.topic is None or self._needle:
            return
        if self._visible is not None:
            first, last = self._visible()
            pages = set(self.pages.missing_pages(first, last))
        else:
            pages = set(self._wanted)
        self._wanted.clear()
        client = self._session.client
        if client is None:
            return
        for page_no in sorted(pages - self._in_flight):
            self._in_flight.add(page_no)
            self.fetched_pages += 1
            self._session.run(
                self._fetch(client, self.topic.id, page_no, self._generation), what="reading events"
            )

    async def _fetch(
        self, client: StreamClient, topic_id: bytes, page_no: int, generation: int
    ) -> None:
        try:
            page = await client.read_events(
                topic_id, offset=self.pages.page_offset(page_no), limit=self.pages.page_size
            )
        finally:
            if generation == self._generation:
                self._in_flight.discard(page_no)
        if generation == self._generation:
            self._store_fetched(page_no, page)

    def _store_fetched(self, page_no: int, page: EventPage) -> None:
        self.pages.store_page(page_no, page.events)
        rows = self.pages.page_rows(page_no)
        if rows and not self._needle:
            self._rows_changed(rows.start, rows.stop - 1)
        if page.last_offset > self.pages.count:
            self.size_seen.emit(page.last_offset)

    def _rows_changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))

    # -- QAbstractTableModel ------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        if parent.isValid():
            return 0
        return len(self._matches) if self._needle else self.pages.count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title_in(self._session.time_zone)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _TIPS[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in NUMERIC_COLUMNS else _LEFT
        return None

    def cell(self, row: int, column: int) -> tuple[str, CellLook]:
        """A cell's text and look; an unloaded row's page is fetched once scrolling settles."""
        event = self.event_at(row)
        if event is None:
            if not self._needle and 0 <= row < self.pages.count:
                self._want(row)
            return (f"{row + 1:,}" if column == Column.OFFSET else PLACEHOLDER), CellLook.PENDING
        texts = self._texts.get(event.offset)
        if texts is None:
            if len(self._texts) >= TEXT_CACHE_ROWS:
                self._texts.clear()
            zone = self._session.time_zone
            texts = self._texts[event.offset] = tuple(cell_text(event, c, zone) for c in _COLUMNS)
        return texts[column], CellLook.DUPLICATE if event.is_duplicate else CellLook.NORMAL

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(index.row(), index.column())[0]
        column = Column(index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in NUMERIC_COLUMNS else _LEFT
        event = self.event_at(index.row())
        if role == EVENT_ROLE:
            return event
        if role == Qt.ItemDataRole.ForegroundRole and (event is None or event.is_duplicate):
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if event is None:
            return None
        if role == Qt.ItemDataRole.FontRole and (column is Column.ID or event.is_duplicate):
            return cell_font(QGuiApplication.font(), column is Column.ID, event.is_duplicate)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(event, column, self._session.time_zone)
        return None

    def _time_zone_changed(self, _zone: object) -> None:
        """Times are shown in another zone: new texts, new headers."""
        self._texts.clear()
        columns = len(Column)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, columns - 1)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, columns - 1))


def cell_font(base: QFont, fixed: bool, italic: bool) -> QFont:
    """A cell's font: ``base``, or the fixed-width font at its size (IDs); italic for duplicates."""
    font = QFont(base)
    if fixed:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(base.pointSizeF())  # presentation mode enlarges it too
    font.setItalic(italic)
    return font


def _tooltip(event: EventRow, column: Column, zone: TimeZoneChoice) -> str:
    duplicate = "\nA duplicate of an earlier event (the topic's deduplication policy)."
    note = duplicate if event.is_duplicate else ""
    if column is Column.PREVIEW:
        return event.preview(600) + note
    if column is Column.SIZE:
        return f"{event.size:,} bytes" + note
    if column in TIME_COLUMNS:
        return f"{cell_text(event, column, zone)} {zone.label}{note}"
    return cell_text(event, column) + note
