"""Where the workbench reads a stored event again: Produce from this event puts it in the
composer so that sending it sends the same bytes; a JSON document nested thousands of levels
deep raises no RecursionError there nor in the profile."""

from __future__ import annotations

import pytest

from workbench.models.composed_event import BodyError, BodyMode, body_bytes, body_text
from workbench.models.topic_profile import TopicProfiler

DEEP = "[" * 5_000 + "]" * 5_000


def test_produce_from_a_deep_event_takes_its_text_exactly() -> None:
    assert body_text(DEEP.encode(), "application/json") == (BodyMode.TEXT, DEEP)
    with pytest.raises(BodyError, match=r"nested 5,000 levels deep.*Text"):
        body_bytes(BodyMode.JSON, DEEP)
    assert body_bytes(BodyMode.TEXT, DEEP) == DEEP.encode()


@pytest.mark.parametrize(
    "data",
    [
        b"id,name\r\n1,Ada\r\n",  # CSV as spreadsheets write it
        b'{"sep": "a\xe2\x80\xa8b"}',  # U+2028, valid in a JSON string
        b"\xef\xbb\xbfid,name\n",  # a byte order mark
        b"old mac\rline",
    ],
)
def test_text_an_editor_would_change_is_loaded_as_hex(data: bytes) -> None:
    mode, text = body_text(data, "text/csv")
    assert mode is BodyMode.HEX and body_bytes(mode, text) == data


def test_binary_is_loaded_as_hex_lines() -> None:
    data = bytes(range(256)) * 4
    mode, text = body_text(data, "application/octet-stream")
    assert mode is BodyMode.HEX and len(text.splitlines()) == 32
    assert body_bytes(mode, text) == data


def test_the_profile_counts_a_deep_event_as_not_an_object_it_can_read() -> None:
    profiler = TopicProfiler()
    profiler.add(1, 0, DEEP.encode(), "application/json")
    profiler.add(2, 0, b'{"a": 1}', "application/json")
    snapshot = profiler.snapshot()
    assert snapshot.events == 2 and snapshot.objects == 1 and snapshot.not_json == 1
