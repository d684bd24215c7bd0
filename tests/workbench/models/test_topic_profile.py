"""The topic profile: paths, types, shares, number ranges, frequent strings, bounds."""

from __future__ import annotations

import json

import pytest

from workbench.client.broker_rules import APPLICATION_JSON
from workbench.client.records import EventRow
from workbench.models.topic_profile import (
    TOP_VALUE_CHARS,
    FieldProfile,
    TopicProfiler,
    json_type,
    key_path,
)


def _profile(*documents: object, **options: int) -> TopicProfiler:
    profiler = TopicProfiler(**options)
    for offset, document in enumerate(documents, start=1):
        data = document if isinstance(document, bytes) else json.dumps(document).encode()
        profiler.add(offset, 1_000 + offset, data, "application/json")
    return profiler


def _fields(profiler: TopicProfiler) -> dict[str, FieldProfile]:
    return {f.path: f for f in profiler.snapshot().fields}


def test_paths_join_keys_with_dots_and_mark_array_elements() -> None:
    profiler = _profile(
        {"id": 1, "customer": {"id": "c1"}, "items": [{"sku": "A"}, {"sku": "B"}], "m": [[1]]}
    )
    assert list(_fields(profiler)) == [
        "id",
        "customer",
        "customer.id",
        "items",
        "items[]",
        "items[].sku",
        "m",
        "m[]",
        "m[][]",
    ]


def test_keys_with_dots_brackets_or_quotes_are_written_as_json_strings() -> None:
    assert key_path("", "a.b") == '["a.b"]'
    assert key_path("labels", "app.kubernetes.io/name") == 'labels["app.kubernetes.io/name"]'
    assert key_path("x", "") == 'x[""]'
    assert key_path("x", 'say "hi"') == 'x["say \\"hi\\""]'
    assert key_path("x", "ok-key_1") == "x.ok-key_1"
    profiler = _profile({"a.b": {"c": 1}})
    assert list(_fields(profiler)) == ['["a.b"]', '["a.b"].c']


def test_json_type_names() -> None:
    assert [json_type(v) for v in (None, True, 1, 1.5, "s", {}, [])] == [
        "null",
        "boolean",
        "integer",
        "number",
        "string",
        "object",
        "array",
    ]
    profiler = _profile({"n": 1.0}, {"n": 2})
    assert _fields(profiler)["n"].types == {"number": 1, "integer": 1}


def test_counts_types_missing_and_nulls_per_path() -> None:
    profiler = _profile({"a": 1, "b": None}, {"a": "x", "b": None}, {"a": None}, {"c": True})
    fields = _fields(profiler)
    a = fields["a"]
    assert (a.types, a.values, a.present, a.missing, a.nulls) == (
        {"integer": 1, "string": 1, "null": 1},
        3,
        3,
        1,
        1,
    )
    assert a.share("string") == pytest.approx(1 / 3)
    assert (fields["b"].missing, fields["b"].share("null")) == (2, 1.0)
    assert (fields["c"].first_offset, fields["c"].last_offset, fields["c"].missing) == (4, 4, 3)
    assert (a.first_offset, a.last_offset) == (1, 3)


def test_numbers_have_min_max_and_mean_booleans_do_not() -> None:
    profiler = _profile({"v": 3}, {"v": -1.5}, {"v": 10}, {"v": True}, {"v": "12"})
    v = _fields(profiler)["v"]
    assert (v.minimum, v.maximum, v.mean) == (-1.5, 10, pytest.approx(11.5 / 3))
    assert _fields(_profile({"s": "x"}))["s"].mean is None


def test_array_elements_count_per_value_and_presence_per_event() -> None:
    profiler = _profile({"t": ["a", "b", "a"]}, {"t": []}, {"t": ["a"]})
    fields = _fields(profiler)
    assert (fields["t[]"].values, fields["t[]"].present, fields["t[]"].missing) == (4, 2, 1)
    assert fields["t[]"].top_values == (("a", 3), ("b", 1))


def test_frequent_strings_are_exact_while_few_and_lower_bounds_beyond() -> None:
    exact = _fields(_profile(*({"s": s} for s in "abacab")))["s"]
    assert (exact.top_values, exact.top_error) == ((("a", 3), ("b", 2), ("c", 1)), 0)

    # k=2: "x" is 6 of 10 values, so Misra-Gries must keep it; its count is short by at most
    # the error it reports.
    stream = ["x", "p", "x", "q", "x", "r", "x", "s", "x", "x"]
    top = _fields(_profile(*({"s": s} for s in stream), top_k=2))["s"]
    counts = dict(top.top_values)
    assert "x" in counts and len(counts) <= 2
    assert counts["x"] <= 6 <= counts["x"] + top.top_error
    assert top.top_error > 0


def test_long_strings_are_counted_by_their_beginning() -> None:
    long = "y" * (TOP_VALUE_CHARS + 50)
    top = _fields(_profile({"s": long}, {"s": long + "z"}))["s"]
    assert top.top_values == (("y" * TOP_VALUE_CHARS + "…", 2),)


def test_events_that_are_not_json_objects_are_counted_and_skipped() -> None:
    profiler = TopicProfiler()
    profiler.add(1, 1, b'{"a": 1}', "application/json")
    profiler.add(2, 2, b"plain text", "text/plain")
    profiler.add(3, 3, b"\xff\xfe", "application/octet-stream")
    profiler.add(4, 4, b"[1, 2]", "application/json")
    profiler.add(5, 5, b'{"a": NaN}', "application/json")
    profiler.add(6, 6, b'"text"', "application/json")
    snap = profiler.snapshot()
    assert (snap.events, snap.objects, snap.not_json, snap.not_object) == (6, 1, 3, 2)
    assert (snap.first_offset, snap.last_offset) == (1, 6)
    assert snap.mimetypes == {"application/json": 4, "text/plain": 1, "application/octet-stream": 1}
    assert _fields(profiler)["a"].missing == 0  # only profiled events count


def test_distinct_paths_are_capped() -> None:
    profiler = _profile({f"k{n}": n for n in range(10)}, {"k0": 1, "new": 2}, max_paths=5)
    snap = profiler.snapshot()
    assert [f.path for f in snap.fields] == ["k0", "k1", "k2", "k3", "k4"]
    assert snap.untracked_values == 6
    assert _fields(profiler)["k0"].values == 2


def test_deep_documents_are_walked_to_a_limit() -> None:
    deep: object = 1
    for _ in range(200):
        deep = {"d": deep}
    paths = [f.path for f in _profile(deep).snapshot().fields]
    assert len(paths) == 32
    assert paths[-1] == ".".join(["d"] * 32)


def test_snapshot_json_has_the_documented_keys() -> None:
    profiler = _profile({"n": 1, "s": "a"}, {"n": 3, "s": "a"})
    doc = profiler.snapshot().to_json()
    n, s = doc["fields"]  # type: ignore[misc]
    assert n == {
        "path": "n",
        "types": {"integer": 2},
        "values": 2,
        "missing": 0,
        "nulls": 0,
        "first_offset": 1,
        "last_offset": 2,
        "min": 1,
        "max": 3,
        "mean": 2.0,
    }
    assert s["top_values"] == [{"value": "a", "count": 2}]
    assert "min" not in s
    assert doc["drift"] == []
    assert json.loads(json.dumps(doc)) == doc


def test_version_grows_with_each_change() -> None:
    profiler = TopicProfiler()
    profiler.add(1, 1, b"{}")
    profiler.skip(0)
    profiler.skip(5)
    assert profiler.version == 2
    assert profiler.snapshot().skipped == 5


def test_stored_duplicates_are_counted_apart_and_not_profiled() -> None:
    def row(offset: int, op: str, duplicate: bool = False) -> EventRow:
        return EventRow(
            topic_id=b"t" * 16,
            offset=offset,
            id=offset.to_bytes(10, "big"),
            committed_ms=1_000 + offset,
            created_ms=0,
            type_name="ChangeEvent",
            type_version="1.0.0",
            mimetype=APPLICATION_JSON,
            data=json.dumps({"op": op}).encode(),
            is_duplicate=duplicate,
        )

    profiler = TopicProfiler()
    # a change captured twice after a crash: the replay is stored flagged as a duplicate
    profiler.add_rows([row(1, "insert"), row(2, "update"), row(3, "update", duplicate=True)])
    snap = profiler.snapshot()
    assert (snap.events, snap.objects, snap.duplicates) == (2, 2, 1)
    (op,) = snap.fields
    assert dict(op.top_values) == {"insert": 1, "update": 1}
    assert snap.to_json()["duplicates"] == 1
