"""A JSON document nested thousands of levels deep, wherever the workbench reads an event's JSON:
the composer and the profile. None raises RecursionError; each takes the
document as text or counts it, and says so where a person is told."""

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


def test_the_profile_counts_a_deep_event_as_not_an_object_it_can_read() -> None:
    profiler = TopicProfiler()
    profiler.add(1, 0, DEEP.encode(), "application/json")
    profiler.add(2, 0, b'{"a": 1}', "application/json")
    snapshot = profiler.snapshot()
    assert snapshot.events == 2 and snapshot.objects == 1 and snapshot.not_json == 1
