"""The event table's filter finds what the views show, whatever the case, normal form or
escaping of the text."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import replace

from tests.workbench.models.test_event_pages import _event as pages_event
from workbench.client.records import EventRow
from workbench.models.event_search import EventSearch, fold
from workbench.models.time_display import TimeZoneChoice

JSON, TEXT, OCTETS = 50, 1, 0


def _event(data: bytes, mimetype: int = JSON, offset: int = 12_345, **metadata: str) -> EventRow:
    return replace(
        pages_event(offset, data), mimetype=mimetype, metadata=metadata or {"region": "eu"}
    )


def _finds(event: EventRow, typed: str) -> bool:
    return EventSearch().matches(event, fold(typed), TimeZoneChoice.UTC)


def test_what_the_row_and_the_headers_show_is_found() -> None:
    event = _event(b'{"customer": "Ada"}')
    for typed in ("ada", "region=eu", "order v1", "12,345", "12345", "2023-11-14 22:13:20.123"):
        assert _finds(event, typed), typed
    assert not _finds(event, "bob")
    assert _finds(event, "")


def test_escaped_json_is_found_as_it_is_shown() -> None:
    event = _event(json.dumps({"city": "東京", "greeting": "привет", "url": "a/b"}).encode())
    assert b"\\u6771" in event.data  # stored escaped, as json.dumps writes by default
    for typed in ("東京", "привет", "Привет", '"city": "東京"', "\\u6771\\u4eac", "a/b"):
        assert _finds(event, typed), typed
    solidus = _event(b'{"path": "a\\/b"}')
    assert _finds(solidus, "a/b") and _finds(solidus, "a\\/b")


def test_case_folding_and_normal_forms_beyond_ascii() -> None:
    nfd = _event(unicodedata.normalize("NFD", "Café Müller, Straße").encode(), TEXT)
    for typed in ("café müller", "CAFÉ", "strasse", "STRASSE", unicodedata.normalize("NFD", "é")):
        assert _finds(nfd, typed), typed
    greek = _event("ΟΔΟΣ".encode(), TEXT)  # a final sigma folds as any sigma
    assert _finds(greek, "οδος") and _finds(greek, "οδοσ")
    wide = _event("\uff21\uff22\uff23\uff11\uff12\uff13".encode(), TEXT)  # full-width ABC123
    assert _finds(wide, "abc123")


def test_white_space_is_compared_as_the_preview_shows_it() -> None:
    event = _event(b"first  line\n\tsecond", TEXT)
    assert _finds(event, "first line second") and _finds(event, "line   second")


def test_binary_data_is_found_by_its_hex_and_its_text_column() -> None:
    event = _event(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", OCTETS)
    assert _finds(event, "89 50 4e 47") and _finds(event, "png") and _finds(event, "IHDR")
    latin1 = _event("café".encode("latin-1"), TEXT)  # not UTF-8: shown as hex
    assert _finds(latin1, "63 61 66 e9") and _finds(latin1, "caf")


def test_deep_or_broken_json_is_searched_as_text() -> None:
    deep = _event(b"[" * 3000 + b'"needle"' + b"]" * 3000)
    assert _finds(deep, "needle")
    broken = _event(b'{"a": "\\u6771", ')
    assert _finds(broken, "\\u6771")


def test_the_payload_text_is_kept_between_searches_within_a_bound() -> None:
    search = EventSearch(cache_chars=100)
    events = [_event(json.dumps({"n": "x" * 60, "i": i}).encode(), offset=i) for i in range(5)]
    assert all(search.matches(e, fold("xxx")) for e in events)
    assert len(search._cache) == 1  # each text is 70 characters: one fits
    assert search.matches(events[4], fold('"i": 4'))
