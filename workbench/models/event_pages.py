"""The event table's Qt-free side: a page cache over a topic's events and how columns show them.

A topic may hold millions of events, so the table never loads them all: row ``i`` is the event
at offset ``i + 1`` (offsets are gapless from 1), rows are grouped into pages of ``page_size``
rows, and at most ``max_pages`` pages are kept, the least recently used going first.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Iterable, Iterator

from workbench.client.records import EventRow
from workbench.models.time_display import LOCAL, TimeZoneChoice, column_title
from workbench.models.time_display import format_ms as format_ms  # importable here, as before

PAGE_SIZE = 200
MAX_PAGES = 50


class EventPages:
    """The loaded pages of one topic's events, and how many events the topic has."""

    def __init__(self, count: int = 0, page_size: int = PAGE_SIZE, max_pages: int = MAX_PAGES):
        if page_size < 1 or max_pages < 1:
            raise ValueError("page_size and max_pages must be positive")
        self.page_size = page_size
        self.max_pages = max_pages
        self._count = max(0, count)
        self._pages: OrderedDict[int, list[EventRow | None]] = OrderedDict()

    @property
    def count(self) -> int:
        """The topic's event count: the number of rows."""
        return self._count

    def page_of(self, index: int) -> int:
        """The page that holds row ``index``."""
        return index // self.page_size

    def page_rows(self, page_no: int) -> range:
        """The rows of a page (clipped to the event count)."""
        first = page_no * self.page_size
        return range(first, min(first + self.page_size, self._count))

    def page_offset(self, page_no: int) -> int:
        """The offset of a page's first event."""
        return page_no * self.page_size + 1

    def row(self, index: int) -> EventRow | None:
        """The event at row ``index``, or None while it is not loaded."""
        if not 0 <= index < self._count:
            return None
        page_no, slot = divmod(index, self.page_size)
        page = self._pages.get(page_no)
        if page is None:
            return None
        self._pages.move_to_end(page_no)
        return page[slot]

    def missing_pages(self, first_row: int, last_row: int) -> list[int]:
        """Pages with rows in ``first_row..last_row`` (inclusive) that are not loaded yet."""
        first_row, last_row = max(0, first_row), min(last_row, self._count - 1)
        if last_row < first_row:
            return []
        missing: list[int] = []
        for page_no in range(self.page_of(first_row), self.page_of(last_row) + 1):
            page = self._pages.get(page_no)
            start = page_no * self.page_size
            lo, hi = max(first_row, start), min(last_row, start + self.page_size - 1)
            if page is None or any(page[i - start] is None for i in range(lo, hi + 1)):
                missing.append(page_no)
        return missing

    def store_page(self, page_no: int, rows: Iterable[EventRow]) -> None:
        """Store a page read from the broker (rows are placed by their offsets)."""
        self._page(page_no)
        self.store_rows(rows)

    def store_rows(self, rows: Iterable[EventRow]) -> None:
        """Store events wherever their offsets put them (a live tail's events, say)."""
        for event in rows:
            if event.offset < 1:
                continue
            page_no, slot = divmod(event.offset - 1, self.page_size)
            self._page(page_no)[slot] = event

    def _page(self, page_no: int) -> list[EventRow | None]:
        page = self._pages.get(page_no)
        if page is None:
            page = self._pages[page_no] = [None] * self.page_size
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        return page

    def loaded_pages(self) -> list[int]:
        """The pages in the cache, least recently used first."""
        return list(self._pages)

    def loaded(self) -> Iterator[EventRow]:
        """Every loaded event within the count, in offset order."""
        for page_no in sorted(self._pages):
            for event in self._pages[page_no]:
                if event is not None and event.offset <= self._count:
                    yield event

    def invalidate(self) -> None:
        """Forget every loaded page (the count stays)."""
        self._pages.clear()

    def grow(self, new_count: int) -> bool:
        """Raise the event count to ``new_count``; True if it grew (it never shrinks)."""
        if new_count <= self._count:
            return False
        self._count = new_count
        return True


class Column(enum.IntEnum):
    """The event table's columns, in order."""

    OFFSET = 0
    ID = 1
    COMMITTED = 2
    CREATED = 3
    TYPE = 4
    MIMETYPE = 5
    SIZE = 6
    PREVIEW = 7

    @property
    def title(self) -> str:
        """The column's header (a time column's says its zone: see :meth:`title_in`)."""
        return self.name.capitalize()

    def title_in(self, zone: TimeZoneChoice) -> str:
        """The column's header when times are shown in ``zone``: ``Committed (UTC)``."""
        return column_title(self.title, zone) if self in TIME_COLUMNS else self.title


NUMERIC_COLUMNS = frozenset({Column.OFFSET, Column.SIZE})
TIME_COLUMNS = frozenset({Column.COMMITTED, Column.CREATED})


def cell_text(event: EventRow, column: Column, zone: TimeZoneChoice = LOCAL) -> str:
    """How ``column`` shows ``event`` (times in ``zone``, which the header names)."""
    if column is Column.OFFSET:
        return f"{event.offset:,}"
    if column is Column.ID:
        return event.id.hex()
    if column is Column.COMMITTED:
        return format_ms(event.committed_ms, zone)
    if column is Column.CREATED:
        return format_ms(event.created_ms, zone) if event.created_ms else "—"
    if column is Column.TYPE:
        return type_text(event)
    if column is Column.MIMETYPE:
        return event.mimetype_text
    if column is Column.SIZE:
        return human_bytes(event.size)
    return event.preview()


def type_text(event: EventRow) -> str:
    """An event's type as 'Name vX.Y.Z'."""
    return f"{event.type_name or 'Generic'} v{event.type_version}"


def human_bytes(size: float) -> str:
    """A byte count as '512 B', '1.5 KiB', '3.2 MiB'."""
    if size < 1024:
        return f"{int(size)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024 or unit == "TiB":
            break
    return f"{size:.1f} {unit}"
