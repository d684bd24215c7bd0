"""Drift, by its definitions: appeared, disappeared (and withdrawn), type changes."""

from __future__ import annotations

import json

import pytest

from workbench.models.profile_drift import Drift, DriftTracker
from workbench.models.topic_profile import TopicProfiler


def _drift(documents: list[object], confirm: int = 3, first: int = 1) -> list[Drift]:
    """Profile documents at offsets ``first``, ``first`` + 1, … (commit time: offset * 10)."""
    profiler = TopicProfiler(confirm=confirm)
    for offset, document in enumerate(documents, start=first):
        profiler.add(offset, offset * 10, json.dumps(document).encode())
    return list(profiler.snapshot().drift)


def test_a_path_in_the_first_event_never_appears() -> None:
    assert _drift([{"a": 1}, {"a": 2}]) == []


def test_a_path_first_seen_later_appeared_at_that_offset() -> None:
    docs: list[object] = [{"a": 1}, {"a": 2}, {"a": 3, "b": 1}, {"a": 4, "b": 2}]
    assert _drift(docs, first=100) == [Drift("b", "appeared", 102, 1020)]


def test_children_of_a_path_that_appears_with_them_are_not_listed() -> None:
    docs: list[object] = [{"a": 1}, {"a": 1, "addr": {"city": "x", "zip": "1"}}]
    assert _drift(docs) == [Drift("addr", "appeared", 2, 20)]
    later: list[object] = [*docs, {"a": 1, "addr": {"city": "x", "zip": "1", "street": "s"}}]
    assert _drift(later) == [
        Drift("addr", "appeared", 2, 20),
        Drift("addr.street", "appeared", 3, 30),
    ]


def test_a_path_absent_from_confirm_later_events_disappeared_after_its_last_one() -> None:
    docs: list[object] = [{"a": 1, "b": 1}] * 4 + [{"a": 1}] * 2
    assert _drift(docs) == []  # only two events without it: not yet
    docs.append({"a": 1})
    assert _drift(docs) == [Drift("b", "disappeared", 5, 50)]


def test_a_disappearance_is_withdrawn_when_the_path_comes_back() -> None:
    docs: list[object] = [{"b": 1}, {}, {}, {}]
    assert _drift(docs) == [Drift("b", "disappeared", 2, 20)]
    assert _drift([*docs, {"b": 2}]) == []
    # … and it can disappear again, from the new last sighting.
    assert _drift([*docs, {"b": 2}, {}, {}, {}]) == [Drift("b", "disappeared", 6, 60)]


def test_a_type_change_is_listed_at_its_first_value_once_confirm_values_hold_it() -> None:
    docs: list[object] = [{"v": 1}, {"v": 2}, {"v": "3"}, {"v": "4"}]
    assert _drift(docs) == []
    assert _drift([*docs, {"v": "5"}]) == [Drift("v", "type", 3, 30, "integer", "string")]


def test_one_odd_value_cancels_a_type_change() -> None:
    docs: list[object] = [{"v": 1}, {"v": "x"}, {"v": "y"}, {"v": 2}, {"v": "z"}, {"v": "w"}]
    assert _drift(docs) == []


def test_nulls_and_absences_neither_count_nor_cancel_a_type_change() -> None:
    docs: list[object] = [{"v": 1}, {"v": "a"}, {"v": None}, {}, {"v": "b"}, {"v": "c"}]
    assert _drift(docs) == [Drift("v", "type", 2, 20, "integer", "string")]


def test_integers_and_numbers_are_one_type_for_drift() -> None:
    assert _drift([{"v": 1}, {"v": 1.5}, {"v": 2.5}, {"v": 3.5}, {"v": 4.5}]) == []
    docs: list[object] = [{"v": 1}, {"v": 1.5}, {"v": True}, {"v": False}, {"v": True}]
    assert _drift(docs) == [Drift("v", "type", 3, 30, "number", "boolean")]


def test_array_elements_count_as_values_for_a_type_change() -> None:
    docs: list[object] = [{"t": [1, 2]}, {"t": ["a", "b", "c"]}]
    assert _drift(docs) == [Drift("t[]", "type", 2, 20, "integer", "string")]


def test_a_change_to_a_new_type_then_another_starts_over() -> None:
    docs: list[object] = [{"v": 1}, {"v": "a"}, {"v": "b"}, {"v": True}, {"v": True}, {"v": True}]
    assert _drift(docs) == [Drift("v", "type", 4, 40, "integer", "boolean")]


def test_an_object_turning_into_a_string_hides_its_children_leaving() -> None:
    docs: list[object] = [{"addr": {"city": "x"}}] * 2 + [{"addr": "x"}] * 3
    assert _drift(docs) == [Drift("addr", "type", 3, 30, "object", "string")]


def test_drift_lists_sort_by_offset_then_path() -> None:
    docs: list[object] = [{"z": 1, "a": 1}, {"z": 1, "a": 1, "n": 1, "m": 1}, {}, {}, {}]
    assert [(d.path, d.change, d.offset) for d in _drift(docs)] == [
        ("m", "appeared", 2),
        ("n", "appeared", 2),
        ("a", "disappeared", 3),
        ("m", "disappeared", 3),
        ("n", "disappeared", 3),
        ("z", "disappeared", 3),
    ]


def test_only_profiled_events_count() -> None:
    profiler = TopicProfiler(confirm=2)
    profiler.add(1, 10, b'{"b": 1}')
    profiler.add(2, 20, b"not json")
    profiler.add(3, 30, b"{}")
    profiler.add(4, 40, b"[]")
    assert profiler.snapshot().drift == ()
    profiler.add(5, 50, b"{}")
    assert profiler.snapshot().drift == (Drift("b", "disappeared", 3, 30),)


def test_describe_and_json() -> None:
    change = Drift("v", "type", 3, 30, "integer", "string")
    assert change.describe() == "v changed type from integer to string"
    assert change.to_json() == {
        "path": "v",
        "change": "type",
        "offset": 3,
        "committed_ms": 30,
        "from": "integer",
        "to": "string",
    }
    gone = Drift("b", "disappeared", 5, 50)
    assert gone.describe() == "b disappeared"
    assert set(gone.to_json()) == {"path", "change", "offset", "committed_ms"}


def test_confirm_must_be_positive() -> None:
    with pytest.raises(ValueError):
        DriftTracker(0)
