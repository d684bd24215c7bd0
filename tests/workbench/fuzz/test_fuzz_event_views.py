"""Event payloads, random and hostile, in every view that shows one event: the detail view (its
tabs, Raw, its copies), the composer's Produce from this event, the table's cells and filter.
Nothing raises or hangs; what is shown, copied, found and sent again is what is stored."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtWidgets import QApplication, QTreeWidgetItem

from tests.workbench.fuzz.conftest import fuzz_settings, shown
from workbench.client.errors import InvalidInput
from workbench.client.records import EventRow
from workbench.models import json_exact
from workbench.models.composed_event import BodyError
from workbench.models.event_export import record_text
from workbench.models.event_pages import Column, cell_text
from workbench.models.event_search import EventSearch, fold
from workbench.models.payload_copy import payload_copies
from workbench.views.qt_composer import QtComposer
from workbench.views.qt_copy_fields import copy_payload
from workbench.views.qt_event_detail import QtEventDetail
from workbench.views.qt_session import QtSession

MIMETYPES = [0, 1, 2, 3, 4, 50, 51, 52, 53, 54, 100, 252, 512, 1000, 999, 2**31 - 1]
YEAR_2000_MS, YEAR_9000_MS = 946_684_800_000, 221_845_392_000_000
NUMBERS = ["0", "-0", "1.0E+2", "5e-324", "1e400", "-1e-400", "12345678901234567890", "9" * 400]
CONSTANTS = ["NaN", "Infinity", "-Infinity"]

keys = st.text(max_size=8) | st.sampled_from(["a", "a", "\\ud800", "\u2028", "\x00"])
strings = st.text(max_size=20) | st.sampled_from(["東京", "привет", "e\u0301", "\u00e9", "a\\/b"])


def _string(text: str) -> str:
    return json_exact.string(text)


@st.composite
def json_texts(draw: st.DrawFn, depth: int = 0) -> str:
    """JSON text as producers write it: escapes or not, repeated keys, number spellings, NaN."""
    kinds = ["object", "array", "scalar", "scalar"] if depth < 4 else ["scalar"]
    kind = draw(st.sampled_from(kinds))
    if kind == "object":
        members = draw(st.lists(st.tuples(keys, json_texts(depth + 1)), max_size=4))
        return "{" + ", ".join(f"{_string(k)}: {v}" for k, v in members) + "}"
    if kind == "array":
        return "[" + ",".join(draw(st.lists(json_texts(depth + 1), max_size=4))) + "]"
    return draw(
        st.sampled_from(NUMBERS + CONSTANTS + ["true", "false", "null"])
        | st.integers().map(str)
        | st.floats(allow_nan=False, allow_infinity=False).map(repr)
        | strings.map(_string)
        | strings.map(lambda s: json.dumps(s))  # \uXXXX escapes, as json.dumps writes
    )


deep = st.integers(190, 6000).map(lambda n: "[" * n + "]" * n) | st.integers(190, 3000).map(
    lambda n: '{"a": ' * n + "1" + "}" * n
)
payloads = st.one_of(
    json_texts().map(lambda t: t.encode("utf-8", "surrogatepass")),
    deep.map(str.encode),
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"\x89PNG\r\n\x1a\n\x00\x00", b"caf\xe9", b"\xef\xbb\xbf{}", b"a,b\n1,2\n"]),
    st.integers(100_000, 400_000).map(lambda n: json.dumps({"big": "x" * n}).encode()),
)
metadata = st.dictionaries(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=10),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30) | st.just("v" * 5000),
    max_size=4,
)
events = st.builds(
    EventRow,
    topic_id=st.binary(min_size=16, max_size=16),
    offset=st.integers(1, 2**40),
    id=st.binary(min_size=10, max_size=10),
    committed_ms=st.integers(YEAR_2000_MS, YEAR_9000_MS),
    created_ms=st.just(0) | st.integers(YEAR_2000_MS, YEAR_9000_MS),
    type_name=st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    type_version=st.sampled_from(["1.0.0", "0.0.0", "4294967295.0.1"]),
    mimetype=st.sampled_from(MIMETYPES),
    data=payloads,
    metadata=metadata,
    is_duplicate=st.booleans(),
)
"""Times stay within the years a calendar shows: a created time beyond them is refused at
publish by the broker (see the hardening of the broker's admission)."""


@pytest.fixture(scope="module")
def detail(qapp: Any) -> Iterator[QtEventDetail]:
    with shown(QtEventDetail()) as widget:
        yield widget


def _as_text(text: str) -> Any:
    """JSON read with every number as its text (Python's ints stop at 4,300 digits)."""
    return json.loads(text, parse_int=str, parse_float=str, parse_constant=str)


def _check_copy_as_json(detail: QtEventDetail, event: EventRow) -> None:
    detail.copy_as_json()
    copied = QApplication.clipboard().text()
    assert copied == record_text(event, indent=2)
    record = _as_text(copied)
    encoding = record["data_encoding"]
    if encoding == "base64":
        assert base64.b64decode(record["data"]["base64"]) == event.data
    elif encoding == "utf-8":
        assert record["data"].encode("utf-8") == event.data
    else:
        assert encoding == "json"
        assert record["data"] == _as_text(event.data.decode("utf-8"))


def _check_payload_copies(event: EventRow) -> None:
    for copy in payload_copies(event):
        copy_payload(copy)
        mime = QApplication.clipboard().mimeData()
        assert bytes(mime.data("application/octet-stream").data()) == event.data
        text = mime.text()
        if copy.label.endswith("(base64)"):
            assert base64.b64decode(text) == event.data
        elif copy.label.endswith("(hex)"):
            assert bytes.fromhex(text) == event.data
        else:
            assert text.encode("utf-8") == event.data


def _shown_texts(detail: QtEventDetail) -> list[str]:
    """Text a person sees in the detail: tree cells of values, metadata values, text lines."""
    shown: list[str] = []
    root = detail.tree.topLevelItem(0)
    stack: list[QTreeWidgetItem] = [root] if root is not None else []
    while stack and len(shown) < 60:
        item = stack.pop()
        stack.extend(item.child(i) for i in range(item.childCount()))
        if item.childCount() == 0 and item.text(2) not in ("object", "array", ""):
            shown.append(item.text(1).removesuffix(" …"))
    metadata = detail.metadata.topLevelItem(1)
    if metadata is not None and len(metadata.text(0)) > len("Metadata"):
        shown.extend(
            metadata.child(i).text(1).removesuffix(" …") for i in range(metadata.childCount())
        )
    if detail.tabs.isTabVisible(detail.text_tab):
        shown.extend(detail.text.toPlainText().splitlines()[:30])
    return [s for s in shown if s.strip()]


@fuzz_settings(250)
@given(event=events, raw=st.booleans())
def test_the_detail_view_shows_copies_and_finds_any_payload(
    detail: QtEventDetail, event: EventRow, raw: bool
) -> None:
    detail.raw_button.setChecked(raw)
    detail.show_event(event)
    assert detail.current_event is event, "the view shows this event, not the one before"
    for tab in range(detail.tabs.count()):
        if detail.tabs.isTabVisible(tab):
            detail.tabs.setCurrentIndex(tab)
    detail.grab()
    if detail.payload is not None and detail.payload.notice:
        assert detail.notice.isVisibleTo(detail)
    _check_copy_as_json(detail, event)
    _check_payload_copies(event)
    search = EventSearch()
    for text in _shown_texts(detail):
        assert search.matches(event, fold(text)), f"{text!r} is shown but not found"
    for column in Column:
        cell_text(event, column)
    detail.raw_button.setChecked(not raw)
    detail.show_event(None)  # still usable: empty, then another event
    detail.show_event(EventRow(b"t" * 16, 1, b"i" * 10, YEAR_2000_MS, 0, "T", "1.0.0", 50, b"{}"))
    assert detail.tree.topLevelItem(0).text(1) == "{0 keys}"


@pytest.fixture(scope="module")
def composer(qapp: Any) -> Iterator[QtComposer]:
    with shown(QtComposer(QtSession(), lambda: None)) as widget:
        yield widget


@fuzz_settings(200)
@given(event=events)
def test_produce_from_this_event_sends_the_payload_exactly(
    composer: QtComposer, event: EventRow
) -> None:
    composer.load_stored(event)
    assert composer.check_body(), composer.body_status.text()
    try:
        again = composer.composed_event()
    except BodyError as empty:  # the composer sends no empty event, and says so
        assert not event.data and "empty" in str(empty)
        return
    except InvalidInput:  # a mimetype Ensign does not define (999) cannot be sent again
        assert event.mimetype_text.isdigit()
        return
    assert again.data == event.data
    assert again.mimetype == event.mimetype or event.mimetype_text.isdigit()
