"""The event page cache and column texts, without Qt."""

from __future__ import annotations

from workbench.client.records import EventRow
from workbench.models.event_pages import Column, EventPages, cell_text, human_bytes


def _event(offset: int, data: bytes = b"{}", duplicate: bool = False) -> EventRow:
    return EventRow(
        topic_id=b"t" * 16,
        offset=offset,
        id=offset.to_bytes(10, "big"),
        committed_ms=1_700_000_000_123,
        created_ms=0,
        type_name="Order",
        type_version="1.2.3",
        mimetype=50,
        data=data,
        metadata={"region": "eu"},
        is_duplicate=duplicate,
    )


def _page(pages: EventPages, page_no: int) -> list[EventRow]:
    rows = pages.page_rows(page_no)
    return [_event(i + 1) for i in rows]


def test_rows_map_to_offsets_and_unloaded_rows_are_none() -> None:
    pages = EventPages(1_000_000, page_size=200)
    assert pages.count == 1_000_000
    assert pages.row(0) is None
    assert pages.missing_pages(0, 30) == [0]
    assert pages.missing_pages(190, 410) == [0, 1, 2]
    pages.store_page(1, _page(pages, 1))
    event = pages.row(250)
    assert event is not None and event.offset == 251
    assert pages.missing_pages(190, 410) == [0, 2]
    assert pages.missing_pages(200, 399) == []
    assert pages.row(1_000_000) is None and pages.row(-1) is None
    assert pages.page_offset(3) == 601


def test_missing_pages_clip_to_the_count() -> None:
    pages = EventPages(450, page_size=200)
    assert pages.missing_pages(0, 10_000) == [0, 1, 2]
    assert pages.page_rows(2) == range(400, 450)
    assert EventPages(0).missing_pages(0, 10) == []


def test_at_most_max_pages_are_kept_least_recently_used_first() -> None:
    pages = EventPages(10_000, page_size=100, max_pages=3)
    for page_no in range(3):
        pages.store_page(page_no, _page(pages, page_no))
    assert pages.row(5) is not None  # page 0 is now the most recently used
    pages.store_page(7, _page(pages, 7))
    assert pages.loaded_pages() == [2, 0, 7]
    assert pages.row(150) is None  # page 1 went
    assert pages.row(5) is not None


def test_a_partly_loaded_page_is_still_missing_where_it_has_holes() -> None:
    pages = EventPages(150, page_size=100)
    pages.store_page(1, [_event(o) for o in range(101, 131)])  # the end was not there yet
    assert pages.missing_pages(100, 129) == []
    assert pages.missing_pages(100, 149) == [1]
    pages.store_rows([_event(o) for o in range(131, 151)])  # a live tail fills it
    assert pages.missing_pages(100, 149) == []


def test_grow_and_invalidate() -> None:
    pages = EventPages(10, page_size=100)
    pages.store_rows([_event(o) for o in range(1, 11)])
    assert pages.row(10) is None
    pages.store_rows([_event(11)])
    assert pages.row(10) is None  # beyond the count until it grows
    assert pages.grow(11) and pages.row(10) is not None
    assert not pages.grow(5) and pages.count == 11
    assert [e.offset for e in pages.loaded()] == list(range(1, 12))
    pages.invalidate()
    assert pages.row(0) is None and pages.count == 11


def test_cells() -> None:
    event = _event(12_345, b'{"customer": "Ada"}', duplicate=True)
    assert cell_text(event, Column.OFFSET) == "12,345"
    assert cell_text(event, Column.ID) == (12_345).to_bytes(10, "big").hex()
    assert cell_text(event, Column.TYPE) == "Order v1.2.3"
    assert cell_text(event, Column.CREATED) == "—"
    assert cell_text(event, Column.COMMITTED).endswith(".123")
    assert cell_text(event, Column.MIMETYPE) == "application/json"
    assert cell_text(event, Column.PREVIEW) == '{"customer": "Ada"}'
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(5 * 1024**3) == "5.0 GiB"
