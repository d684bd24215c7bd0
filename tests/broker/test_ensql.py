from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from embedded_broker.core import ensql
from embedded_broker.core.ensql import EnsqlQuery, InvalidQuery, parse_query
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.ids import make_rlid
from embedded_broker.core.model import EventRecord
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from tests.conftest import make_event

JSON = mimetype_pb2.APPLICATION_JSON
COMMITTED_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z
ORDER = {
    "price": 12.5,
    "qty": 3,
    "name": "Widget",
    "active": True,
    "note": None,
    "tags": ["red", "blue"],
    "ship": {"country": "NL", "zip": "1012"},
}


def record(
    data: bytes | str | dict[str, Any] = ORDER,
    metadata: dict[str, str] | None = None,
    mimetype: int = JSON,
    type_name: str = "Order",
    version: tuple[int, int, int] = (1, 2, 3),
    offset: int = 5,
    committed_ms: int = COMMITTED_MS,
    created_ms: int | None = None,
) -> EventRecord:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    event = make_event(raw, metadata, mimetype, type_name, version)
    if created_ms is not None:
        event.created.FromMilliseconds(created_ms)
    return EventRecord(
        topic_id=b"\0" * 16,
        offset=offset,
        id=make_rlid(committed_ms, 7),
        duplicate_of=0,
        body=event.SerializeToString(),
    )


EVENT = record(metadata={"region": "eu", "count": "7", "ratio": "0.25", "flag": "true"})


def where(condition: str, rec: EventRecord = EVENT, **params: object) -> bool:
    return parse_query(f"SELECT * FROM orders WHERE {condition}", params).matches(rec)


def error(text: str, params: dict[str, object] | None = None) -> str:
    with pytest.raises(InvalidQuery) as caught:
        parse_query(text, params)
    return str(caught.value)


# --- statement structure ------------------------------------------------------------------------


def test_select_all_from_topic() -> None:
    query = parse_query("SELECT * FROM orders")
    assert (query.topic, query.type_name, query.type_version) == ("orders", None, None)
    assert (query.offset, query.limit) == (0, None)
    assert query.selects_all
    assert query.matches(EVENT)
    assert query.text == "SELECT * FROM orders"


@pytest.mark.parametrize(
    "text",
    [
        "select * from orders",
        "SeLeCt * FrOm orders;",
        "  SELECT\n*\n\tFROM orders  ;  ",
        "SELECT * FROM orders -- a comment\n",
        "-- leading comment\nSELECT * FROM orders",
    ],
)
def test_keywords_are_case_insensitive_and_whitespace_is_free(text: str) -> None:
    assert parse_query(text).topic == "orders"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("SELECT * FROM my-topic_2", "my-topic_2"),
        ('SELECT * FROM "my.topic"', "my.topic"),
        ("SELECT * FROM `my.topic`", "my.topic"),
        ('SELECT * FROM "say ""hi"""', 'say "hi"'),
        ('SELECT * FROM "where"', "where"),
    ],
)
def test_topic_names(text: str, topic: str) -> None:
    assert parse_query(text).topic == topic


@pytest.mark.parametrize(
    ("source", "type_name", "version"),
    [
        ("orders.Order", "Order", None),
        ("orders.Order.v1", "Order", (1,)),
        ("orders.Order.V1", "Order", (1,)),
        ("orders.Order.1", "Order", (1,)),
        ("orders.Order.v1.2", "Order", (1, 2)),
        ("orders.Order.v1.2.0", "Order", (1, 2, 0)),
        ("orders.Order.1.2.0", "Order", (1, 2, 0)),
        ('"orders".`Order`.v2', "Order", (2,)),
    ],
)
def test_type_filter_in_from(source: str, type_name: str, version: tuple[int, ...] | None) -> None:
    query = parse_query(f"SELECT * FROM {source} LIMIT 1")
    assert (query.topic, query.type_name, query.type_version) == ("orders", type_name, version)
    assert query.limit == 1


@pytest.mark.parametrize(
    ("source", "matches"),
    [
        ("orders.Order", True),
        ("orders.order", False),  # type names are case-sensitive
        ("orders.Invoice", False),
        ("orders.Order.v1", True),
        ("orders.Order.v2", False),
        ("orders.Order.v1.2", True),
        ("orders.Order.v1.3", False),
        ("orders.Order.1.2.3", True),
        ("orders.Order.1.2.4", False),
    ],
)
def test_type_filter_matches_name_and_version_prefix(source: str, matches: bool) -> None:
    assert parse_query(f"SELECT * FROM {source}").matches(EVENT) is matches


def test_type_filter_and_where_both_apply() -> None:
    query = parse_query("SELECT * FROM orders.Order.v1 WHERE region = 'us'")
    assert not query.matches(EVENT)
    assert parse_query("SELECT * FROM orders.Order.v1 WHERE region = 'eu'").matches(EVENT)


@pytest.mark.parametrize(
    ("clauses", "offset", "limit"),
    [
        ("", 0, None),
        ("LIMIT 10", 0, 10),
        ("OFFSET 5", 5, None),
        ("OFFSET 5 LIMIT 10", 5, 10),
        ("LIMIT 10 OFFSET 5", 5, 10),
        ("limit 0 offset 0", 0, 0),
        ("WHERE x = 1 LIMIT 10 OFFSET 5", 5, 10),
        ("LIMIT :n OFFSET $skip", 3, 2),
    ],
)
def test_offset_and_limit(clauses: str, offset: int, limit: int | None) -> None:
    query = parse_query(f"SELECT * FROM orders {clauses};", {"n": 2, "skip": 3})
    assert (query.offset, query.limit) == (offset, limit)


def test_offset_is_also_a_field_name() -> None:
    query = parse_query("SELECT offset FROM orders WHERE offset >= 5 OFFSET 1 LIMIT 2")
    assert (query.offset, query.limit) == (1, 2)
    assert query.matches(EVENT)
    assert not query.matches(record(offset=4))


# --- comparisons --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.qty = 3", True),
        ("data.qty == 3", True),
        ("data.qty = 4", False),
        ("data.qty != 3", False),
        ("data.qty <> 4", True),
        ("data.qty < 4", True),
        ("data.qty < 3", False),
        ("data.qty <= 3", True),
        ("data.qty > 2", True),
        ("data.qty > 3", False),
        ("data.qty >= 3", True),
        ("3 = data.qty", True),
        ("4 > data.qty", True),
        ("data.price = 12.5", True),
        ("data.price > 12", True),
        ("data.price < 1.25e1", False),
        ("data.qty = 3.0", True),
        ("data.qty > -1", True),
        ("data.name = 'Widget'", True),
        ("data.name = 'widget'", False),
        ("data.name < 'X'", True),
        ("data.active = true", True),
        ("data.active = FALSE", False),
        ("data.active != false", True),
        ("data.qty = data.qty", True),
        ("data.qty < data.price", True),
        ("1 = 1", True),
        ("1 = 2", False),
    ],
)
def test_comparison_operators(condition: str, expected: bool) -> None:
    assert where(condition) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("count = 7", True),  # metadata "7" compared with a number is read as a number
        ("count > 5", True),
        ("count > 10", False),  # numerically, not as strings ("7" > "10")
        ("metadata.count < 10", True),
        ("count = 7.0", True),
        ("count = '7'", True),
        ("count = '07'", False),  # string against string
        ("ratio > 0.2", True),
        ("ratio < 1", True),
        ("region > 5", False),  # "eu" is not a number: false, whatever the operator
        ("region < 5", False),
        ("region != 5", False),
        ("flag = true", True),
        ("flag = false", False),
        ("region = true", False),
        ("region = 'eu'", True),
        ("metadata.region = 'eu'", True),
        ("region >= 'eu'", True),
    ],
)
def test_metadata_comparisons(condition: str, expected: bool) -> None:
    assert where(condition) is expected


def test_string_literals_escape_quotes() -> None:
    rec = record(metadata={"quote": "it's"})
    assert where("quote = 'it''s'", rec)
    assert where("quote = ''''", record(metadata={"quote": "'"}))
    assert where("quote = ''", record(metadata={"quote": ""}))


def test_strings_in_json_compare_with_numbers() -> None:
    assert where("data.ship.zip = 1012")
    assert where("data.ship.zip > 1000")
    assert not where("data.ship.country > 1")


def test_incomparable_values_are_false() -> None:
    assert not where("data.tags = 'red'")
    assert not where("data.ship = 1")
    assert not where("data.active = 1")  # a boolean is not a number
    assert not where("data.ship < data.ship")  # objects have no order


# --- NULL ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("missing = 1", False),
        ("missing != 1", False),
        ("missing < 1", False),
        ("NOT missing = 1", True),  # NULL comparisons are simply false
        ("missing IS NULL", True),
        ("missing IS NOT NULL", False),
        ("data.missing IS NULL", True),
        ("metadata.missing IS NULL", True),
        ("metadata.region IS NOT NULL", True),
        ("data.note IS NULL", True),  # JSON null
        ("data.note = NULL", False),
        ("data.qty = NULL", False),
        ("data.qty != NULL", False),
        ("NULL = NULL", False),
        ("NULL IS NULL", True),
        ("1 IS NOT NULL", True),
        ("missing IN (1, 2)", False),
        ("missing NOT IN (1, 2)", False),
        ("missing LIKE '%'", False),
        ("missing NOT LIKE 'x'", False),
        ("missing BETWEEN 1 AND 2", False),
        ("missing NOT BETWEEN 1 AND 2", False),
        ("data.qty IN (NULL, 3)", True),
        ("data.ship.missing.deeper IS NULL", True),
        ("data.tags.5 IS NULL", True),
    ],
)
def test_null_handling(condition: str, expected: bool) -> None:
    assert where(condition) is expected


# --- logic and precedence -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.qty = 3 AND region = 'eu'", True),
        ("data.qty = 3 AND region = 'us'", False),
        ("data.qty = 4 OR region = 'eu'", True),
        ("data.qty = 4 OR region = 'us'", False),
        ("NOT data.qty = 4", True),
        ("NOT NOT data.qty = 3", True),
        ("NOT NOT NOT data.qty = 3", False),
        # AND binds tighter than OR
        ("1 = 1 OR 1 = 2 AND 1 = 2", True),
        ("(1 = 1 OR 1 = 2) AND 1 = 2", False),
        ("1 = 2 AND 1 = 2 OR 1 = 1", True),
        ("1 = 2 AND (1 = 2 OR 1 = 1)", False),
        # NOT binds tighter than AND
        ("NOT 1 = 2 AND 1 = 1", True),
        ("NOT (1 = 1 AND 1 = 2)", True),
        ("NOT 1 = 1 AND 1 = 2", False),
        ("NOT 1 = 1 OR 1 = 1", True),
        ("NOT (1 = 1 OR 1 = 1)", False),
        ("((((data.qty = 3))))", True),
        ("(data.qty = 3 AND (region = 'us' OR (count > 5 AND NOT flag = false)))", True),
        ("data.qty = 3 and region = 'eu' and count = 7 and ratio < 1 and flag = true", True),
        ("data.qty = 0 or region = 'x' or count = 0 or ratio > 1 or flag = true", True),
    ],
)
def test_logic_and_precedence(condition: str, expected: bool) -> None:
    assert where(condition) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.active", True),
        ("NOT data.active", False),
        ("flag", True),  # metadata 'true'
        ("region", False),
        ("missing", False),
        ("TRUE", True),
        ("FALSE", False),
        ("NOT FALSE AND data.active", True),
    ],
)
def test_bare_field_as_condition(condition: str, expected: bool) -> None:
    assert where(condition) is expected


def test_long_chains_do_not_recurse() -> None:
    chain = " OR ".join(f"data.qty = {n}" for n in range(4, 3000)) + " OR data.qty = 3"
    assert where(chain)
    assert not where(" AND ".join(["data.qty = 3"] * 2000 + ["data.qty = 4"]))
    assert where("NOT " * 1001 + "data.qty = 4")


# --- LIKE, IN, BETWEEN --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.name LIKE 'Widget'", True),
        ("data.name LIKE 'Wid%'", True),
        ("data.name LIKE '%get'", True),
        ("data.name LIKE '%dg%'", True),
        ("data.name LIKE '%'", True),
        ("data.name LIKE 'W_dget'", True),
        ("data.name LIKE 'W_get'", False),
        ("data.name LIKE 'W%d%t'", True),
        ("data.name LIKE 'W%x%t'", False),
        ("data.name LIKE 'wid%'", False),  # LIKE is case-sensitive
        ("data.name ILIKE 'wid%'", True),
        ("data.name NOT LIKE 'wid%'", True),
        ("data.name NOT ILIKE 'wid%'", False),
        ("NOT data.name LIKE 'Wid%'", False),
        ("data.name LIKE 'Widget_'", False),
        ("data.name LIKE '%%%%'", True),
        ("data.qty LIKE '3'", True),  # numbers match as text
        ("data.active LIKE 'tr%'", True),
        ("region LIKE 'e_'", True),
        ("data LIKE '%\"Widget\"%'", True),  # the raw data as text
        ("data.name LIKE :pattern", True),
        ("data.name LIKE data.name", True),
        ("data.name LIKE NULL", False),
    ],
)
def test_like(condition: str, expected: bool) -> None:
    assert where(condition, pattern="W%") is expected


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("100%", "100\\%", True),
        ("1000", "100\\%", False),
        ("a_b", "a\\_b", True),
        ("axb", "a\\_b", False),
        ("back\\slash", "back\\\\slash", True),
        ("dot.star", "dot.%", True),  # regex characters are literal
        ("d(t)", "d(_)", True),
        ("line\nbreak", "line%break", True),
        ("aaa", "a%a%a", True),
        ("aa", "a%a%a", False),
        ("abcabc", "%abc", True),
        ("ab", "%abc%", False),
    ],
)
def test_like_patterns(value: str, pattern: str, expected: bool) -> None:
    escaped = pattern.replace("'", "''")
    assert where(f"text LIKE '{escaped}'", record(metadata={"text": value})) is expected


def test_like_does_not_backtrack_badly() -> None:
    rec = record(metadata={"text": "a" * 50_000})
    started = time.perf_counter()
    assert not where("text LIKE '%a%a%a%a%a%a%a%a%b'", rec)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.qty IN (1, 2, 3)", True),
        ("data.qty IN (1, 2)", False),
        ("data.qty NOT IN (1, 2)", True),
        ("data.qty NOT IN (3)", False),
        ("NOT data.qty IN (3)", False),
        ("region IN ('us', 'eu')", True),
        ("region IN ('US', 'EU')", False),
        ("count IN (6, 7)", True),
        ("count IN ('6', '7')", True),
        ("data.name IN ('Widget', 42)", True),
        ("data.name IN (:a, :b)", True),
        ("data.name IN (region, data.name)", True),
        ("data.qty IN (data.price, region)", False),
        ("'eu' IN (region)", True),
    ],
)
def test_in(condition: str, expected: bool) -> None:
    assert where(condition, a="x", b="Widget") is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("data.qty BETWEEN 1 AND 3", True),
        ("data.qty BETWEEN 3 AND 3", True),
        ("data.qty BETWEEN 4 AND 9", False),
        ("data.qty NOT BETWEEN 4 AND 9", True),
        ("count BETWEEN 5 AND 10 AND region = 'eu'", True),
        ("data.name BETWEEN 'A' AND 'Z'", True),
        ("version BETWEEN '1.0' AND '1.10'", True),
        ("timestamp BETWEEN '2023-11-14' AND '2023-11-15'", True),
    ],
)
def test_between(condition: str, expected: bool) -> None:
    assert where(condition) is expected


# --- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "params", "expected"),
    [
        ("data.qty = :n", {"n": 3}, True),
        ("data.qty = $n", {"n": 3}, True),
        ("data.qty = @n", {"n": 3}, True),
        ("data.qty = :n", {":n": 3}, True),
        ("data.qty = @n", {"@n": 3}, True),
        ("data.qty = :n", {"n": 4}, False),
        ("data.price = :p", {"p": 12.5}, True),
        ("data.active = :b", {"b": True}, True),
        ("data.active = :b", {"b": False}, False),
        ("data.name = :s", {"s": "Widget"}, True),
        ("data.name = :y", {"y": b"Widget"}, True),
        ("data.name = :y", {"y": b"\xff"}, False),
        ("count = :n", {"n": 7}, True),
        ("data.qty = :z", {"z": None}, False),
        (":z IS NULL", {"z": None}, True),
        ("data.qty = :n AND data.name = :n2", {"n": 3, "n2": "Widget", "unused": 1}, True),
        ("data.qty = $1", {"1": 3}, True),
    ],
)
def test_parameters(condition: str, params: dict[str, object], expected: bool) -> None:
    assert where(condition, **params) is expected


def test_parameters_are_bound_at_parse_time() -> None:
    values: dict[str, object] = {"n": 3}
    query = parse_query("SELECT * FROM orders WHERE data.qty = :n", values)
    values["n"] = 4
    assert query.matches(EVENT)


# --- JSON data ----------------------------------------------------------------------------------


def test_json_fields() -> None:
    assert where("data.ship.country = 'NL'")
    assert where("data.tags.0 = 'red' AND data.tags.1 = 'blue'")
    assert where("data.\"name\" = 'Widget'")
    assert where("data.`ship`.country = 'NL'")
    rec = record({"a.b": 1, "a": {"b": 2}})
    assert where('data."a.b" = 1', rec)
    assert where("data.a.b = 2", rec)


@pytest.mark.parametrize(
    "data", [b"not json", b"[1, 2, 3]", b'"text"', b"42", b"\xff\xfe", b"[" * 5000, b""]
)
def test_data_that_is_not_a_json_object_has_no_fields(data: bytes) -> None:
    rec = record(data, metadata={"region": "eu"})
    assert where("data.qty IS NULL", rec)
    assert not where("data.qty = 3", rec)
    assert where("region = 'eu'", rec)


def test_json_is_parsed_once_per_event_and_only_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[object] = []
    loads = json.loads

    def counting(data: Any, **kwargs: Any) -> Any:
        calls.append(data)
        return loads(data, **kwargs)

    monkeypatch.setattr(ensql.json, "loads", counting)
    metadata_only = parse_query("SELECT * FROM t WHERE region = 'eu' AND offset > 1")
    assert metadata_only.matches(EVENT)
    assert calls == []

    query = parse_query("SELECT data.qty FROM t WHERE data.qty = 3 AND data.name = 'Widget'")
    rec = record()
    assert query.matches(rec)
    query.project(rec)
    assert len(calls) == 1
    other = record()
    assert query.matches(other)
    assert len(calls) == 2


def test_bare_names_prefer_metadata_then_data() -> None:
    rec = record({"qty": 3, "region": "data-region"}, metadata={"region": "eu"})
    assert where("region = 'eu'", rec)
    assert where("data.region = 'data-region'", rec)
    assert where("qty = 3", rec)
    assert where("unknown IS NULL", rec)


def test_quoted_names_skip_the_special_fields() -> None:
    rec = record({"offset": 99, "type": "json-type"}, metadata={"id": "meta-id"})
    assert where('"offset" = 99', rec)
    assert where("offset = 5", rec)
    assert where("\"type\" = 'json-type'", rec)
    assert where("`id` = 'meta-id'", rec)
    assert where("Metadata.id = 'meta-id'", rec)


def test_dotted_bare_names() -> None:
    rec = record({"ship": {"zip": "9"}}, metadata={"ship.zip": "1"})
    assert where("ship.zip = 1", rec)
    assert where("data.ship.zip = 9", rec)
    assert where("ship.zip = 9", record({"ship": {"zip": "9"}}))


# --- event fields -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("type = 'Order'", True),
        ("TYPE = 'Order'", True),
        ("type.name = 'Order'", True),
        ("type = 'order'", False),
        ("type LIKE 'Ord%'", True),
        ("version = '1.2.3'", True),
        ("type.version = 'v1.2.3'", True),
        ("version = '1.2'", False),  # missing parts are zero
        ("version > '1.2'", True),
        ("version < '1.10'", True),  # compared as versions, not strings
        ("version >= 'v1'", True),
        ("version < 2", True),
        ("version > 1.2", True),
        ("version < 1.10", True),
        ("version IN ('1.2.3', '2.0.0')", True),
        ("version LIKE '1.2.%'", True),
        ("type.major = 1", True),
        ("type.minor = 2", True),
        ("type.patch = 3", True),
        ("type.major_version = 1 AND type.minor_version = 2 AND type.patch_version = 3", True),
        ("type.patch > 3", False),
        ("version = metadata.v", True),
    ],
)
def test_type_and_version_fields(condition: str, expected: bool) -> None:
    rec = record(metadata={"v": "1.2.3"})
    assert where(condition, rec) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("mimetype = 'application/json'", True),
        ("mimetype = 'Application/JSON'", True),
        ("mimetype = 'application/json; charset=utf-8'", True),
        ("mimetype = 'APPLICATION_JSON'", True),
        ("mimetype = 'application_json'", True),
        ("mimetype = 'APPLICATION_JSON_UTF8'", True),
        ("mimetype = 50", True),
        ("'application/json' = mimetype", True),
        ("mimetype != 'text/plain'", True),
        ("mimetype = 'text/plain'", False),
        ("mimetype IN ('text/plain', 'APPLICATION_JSON')", True),
        ("mimetype NOT IN ('text/plain', 'text/csv')", True),
        ("mimetype LIKE 'application/%'", True),
        ("mimetype LIKE 'text/%'", False),
        ("mimetype = :m", True),
    ],
)
def test_mimetype(condition: str, expected: bool) -> None:
    assert where(condition, m="application/json") is expected


@pytest.mark.parametrize(
    ("mimetype", "text"),
    [
        (mimetype_pb2.APPLICATION_OCTET_STREAM, "application/octet-stream"),
        (mimetype_pb2.TEXT_PLAIN, "TEXT_PLAIN"),
        (mimetype_pb2.APPLICATION_JSON_LD, "application/ld+json"),
        (mimetype_pb2.APPLICATION_JSON_LINES, "application/x-ndjson"),
        (mimetype_pb2.APPLICATION_JSON_LINES, "APPLICATION_JSON_LINES"),
        (mimetype_pb2.APPLICATION_PROTOBUF, "application/protobuf"),
        (mimetype_pb2.APPLICATION_PYTHON_PICKLE, "application/python-pickle"),
        (mimetype_pb2.USER_SPECIFIED3, "USER_SPECIFIED3"),
        (mimetype_pb2.USER_SPECIFIED3, "user/format-3"),
    ],
)
def test_mimetype_names(mimetype: int, text: str) -> None:
    assert where(f"mimetype = '{text}'", record(b"x", mimetype=mimetype))
    assert not where(f"mimetype != '{text}'", record(b"x", mimetype=mimetype))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (f"timestamp = {COMMITTED_MS}", True),
        (f"committed >= {COMMITTED_MS}", True),
        (f"timestamp > {COMMITTED_MS}", False),
        ("timestamp = '2023-11-14T22:13:20Z'", True),
        ("timestamp = '2023-11-14T22:13:20+00:00'", True),
        ("timestamp = '2023-11-14T23:13:20+01:00'", True),
        ("timestamp = '2023-11-14 22:13:20'", True),  # no zone: UTC
        ("timestamp > '2023-11-14'", True),
        ("timestamp < '2023-11-15'", True),
        ("committed < '2023-11-14T22:13:20.001Z'", True),
        (f"timestamp = '{COMMITTED_MS}'", True),
        ("timestamp > :t", True),
        ("created IS NULL", False),
        ("created = 1600000000000", True),
        ("created < timestamp", True),
        ("created = '2020-09-13T12:26:40Z'", True),
        ("created > '2021-01-01'", False),
    ],
)
def test_time_fields(condition: str, expected: bool) -> None:
    rec = record(created_ms=1_600_000_000_000)
    assert where(condition, rec, t="2023-01-01T00:00:00Z") is expected


def test_created_is_null_when_unset() -> None:
    assert where("created IS NULL", record())
    assert not where("created > 0", record())


def test_offset_and_id_fields() -> None:
    rec = record(offset=42)
    assert where("offset = 42", rec)
    assert where("offset BETWEEN 40 AND 50", rec)
    assert not where("offset < 42", rec)
    raw = make_rlid(COMMITTED_MS, 7)
    assert where(f"id = '{raw.hex()}'", rec)
    assert where(f"id = '{raw.hex().upper()}'", rec)
    number = int.from_bytes(raw, "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    base32 = "".join(alphabet[(number >> shift) & 31] for shift in range(75, -1, -5))
    assert where(f"id = '{base32}'", rec)
    assert where(f"id = '{base32.lower()}'", rec)
    assert where("id = :raw", rec, raw=raw)
    assert not where(f"id = '{make_rlid(COMMITTED_MS, 8).hex()}'", rec)
    assert where(f"id IN ('{make_rlid(1, 1).hex()}', '{raw.hex()}')", rec)


# --- projection ---------------------------------------------------------------------------------


def project(select: str, rec: EventRecord = EVENT) -> Event:
    return parse_query(f"SELECT {select} FROM orders").project(rec)


def test_select_star_returns_the_event_unchanged() -> None:
    query = parse_query("SELECT * FROM orders")
    assert query.selects_all
    assert query.project(EVENT) is EVENT.event


def test_projection_of_metadata_keys() -> None:
    rec = record(b"raw bytes", {"a": "1", "b": "2", "c": "3"}, mimetype_pb2.TEXT_PLAIN)
    rec.event.created.FromMilliseconds(1234)
    out = project("metadata.a, c, metadata.missing", rec)
    assert dict(out.metadata) == {"a": "1", "c": "3"}
    assert out.data == b"raw bytes"  # no data field selected: data kept whole
    assert out.mimetype == mimetype_pb2.TEXT_PLAIN
    assert out.type == rec.event.type
    assert out.created.ToMilliseconds() == 1234
    assert not parse_query("SELECT a FROM t").selects_all


def test_projection_of_data_fields() -> None:
    rec = record(metadata={"region": "eu"}, mimetype=mimetype_pb2.APPLICATION_JSON_LD)
    out = project("data.name, data.qty, data.missing, data.note", rec)
    assert out.data == b'{"name":"Widget","qty":3,"note":null}'
    assert out.mimetype == JSON
    assert dict(out.metadata) == {}
    assert out.type.name == "Order"


def test_projection_of_nested_fields_and_aliases() -> None:
    out = project('data.ship.country, data.tags.1 AS second, region AS r, data.qty AS "q q"')
    assert json.loads(out.data) == {"ship": {"country": "NL"}, "second": "blue", "q q": 3}
    assert dict(out.metadata) == {"r": "eu"}


def test_projection_of_bare_names_prefers_metadata() -> None:
    rec = record({"qty": 3, "region": "x"}, metadata={"region": "eu"})
    out = project("region, qty, nothing", rec)
    assert dict(out.metadata) == {"region": "eu"}
    assert out.data == b'{"qty":3}'


def test_projection_keeps_data_when_selected_whole() -> None:
    out = project("data, data.qty, metadata.region")
    assert out.data == EVENT.event.data
    assert out.mimetype == JSON
    assert dict(out.metadata) == {"region": "eu"}


def test_projection_of_all_metadata_and_event_fields() -> None:
    out = project("metadata, offset, type, version, mimetype, timestamp, id, created")
    assert dict(out.metadata) == dict(EVENT.event.metadata)
    assert out.data == EVENT.event.data


def test_projection_of_data_fields_from_non_json_data() -> None:
    rec = record(b"binary \x00", mimetype=mimetype_pb2.APPLICATION_OCTET_STREAM)
    out = project("data.qty", rec)
    assert out.data == b"{}"
    assert out.mimetype == JSON


def test_projection_with_unicode() -> None:
    rec = record({"naam": "café ☕"}, metadata={"ключ": "значение"})
    out = project('naam, "ключ"', rec)
    assert json.loads(out.data) == {"naam": "café ☕"}
    assert dict(out.metadata) == {"ключ": "значение"}


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty query"),
        ("   \n ", "empty query"),
        (";", "empty query"),
        ("-- only a comment", "empty query"),
        ("SELECT *", "missing FROM clause at the end of the query"),
        ("SELECT a, b", "missing FROM clause"),
        ("SELECT * WHERE x = 1", "expected FROM, found keyword WHERE at column 10"),
        ("SELECT a b FROM t", "expected ',' or FROM, found 'b'"),
        ("SELECT FROM t", "expected '*' or a list of fields after SELECT, found keyword FROM"),
        ("SELECT", "expected '*' or a list of fields after SELECT at the end of the query"),
        ("SELECT * FROM", "expected a topic name after FROM at the end of the query"),
        ("SELECT * FROM WHERE", "expected a topic name after FROM, found keyword WHERE"),
        ("SELECT * FROM 'orders'", "expected a topic name after FROM, found string 'orders'"),
        ("SELECT * FROM t.", "expected an event type name after 't.'"),
        ("SELECT * FROM t.Order.", "expected a version after 'Order.'"),
        ("SELECT * FROM t.Order.vx", "bad event type version 'vx'"),
        ("SELECT * FROM t.Order.v1.2.3.4", "bad event type version 'v1.2.3.4'"),
        ("DELETE FROM orders", "unknown keyword 'DELETE' at column 1"),
        ("UPDATE orders", "an EnSQL query starts with SELECT"),
        ("(SELECT * FROM t)", "expected SELECT, found '('"),
        ("SELECT * FROM t ORDER BY x", "unknown keyword 'ORDER' at column 17 (near 'ORDER BY x')"),
        ("SELECT * FROM t GROUP BY x", "expected WHERE, OFFSET, LIMIT or the end of the query"),
        ("SELECT * FROM t WHERE x = 1 ORDER BY x", "expected AND, OR, OFFSET, LIMIT or the end"),
        ("SELECT * FROM t LIMIT 1 ORDER BY x", "expected OFFSET or the end of the query"),
        ("SELECT * FROM t LIMIT 1 OFFSET 1 x", "(near 'x'); expected the end of the query"),
        ("SELECT * FROM t WHERE x = 'abc", "unterminated string at column 27"),
        ("SELECT * FROM t WHERE x = 'it''s", "unterminated string"),
        ('SELECT * FROM "orders', "unterminated quoted name at column 15"),
        ("SELECT `a FROM t", "unterminated quoted name"),
        ('SELECT * FROM ""', "empty quoted name"),
        ("SELECT * FROM t WHERE x = 1.2.3", "bad number '1.2.3' at column 27"),
        ("SELECT * FROM t WHERE x = 12abc", "bad number '12abc'"),
        ("SELECT * FROM t WHERE x = 1.", "bad number '1.'"),
        ("SELECT * FROM t WHERE x = 1e", "bad number '1e'"),
        ("SELECT * FROM t WHERE x = " + "9" * 5000, "too many digits"),
        ("SELECT * FROM t LIMIT 1.5", "bad number '1.5'"),
        ("SELECT * FROM t LIMIT 1 x", "unknown keyword 'x'"),
        ("SELECT * FROM t LIMIT 1 ; x", "unexpected 'x' after ';'"),
        ("SELECT * FROM t WHERE x = 1 )", "found ')' at column 29"),
        ("SELECT * FROM t WHERE x = 1 #", "unexpected character '#' at column 29"),
        ("SELECT * FROM t WHERE x = 1 & y = 2", "unexpected character '&'"),
        ("SELECT * FROM t LIMIT -1", "LIMIT must not be negative, got -1"),
        ("SELECT * FROM t OFFSET -5", "OFFSET must not be negative"),
        ("SELECT * FROM t LIMIT :n", "LIMIT must not be negative"),
        ("SELECT * FROM t OFFSET :f", "OFFSET must be a whole number, not 1.5"),
        ("SELECT * FROM t LIMIT :b", "LIMIT must be a whole number, not True"),
        ("SELECT * FROM t LIMIT :s", "LIMIT must be a whole number, not '3'"),
        ("SELECT * FROM t LIMIT " + "9" * 30, "LIMIT is too large"),
        ("SELECT * FROM t LIMIT", "expected a number after LIMIT at the end of the query"),
        ("SELECT * FROM t LIMIT 'x'", "expected a number after LIMIT, found string 'x'"),
        ("SELECT * FROM t LIMIT 1 LIMIT 2", "LIMIT is given twice"),
        ("SELECT * FROM t OFFSET 1 LIMIT 2 OFFSET 3", "OFFSET is given twice"),
        ("SELECT * FROM t LIMIT 1 WHERE x = 1", "WHERE must come before OFFSET and LIMIT"),
        ("SELECT * FROM t WHERE x = :p", "unbound parameter :p at column 27"),
        ("SELECT * FROM t WHERE x = $p", "unbound parameter $p"),
        ("SELECT * FROM t WHERE x IN (@p)", "unbound parameter @p"),
        ("SELECT * FROM t WHERE x = :obj", "parameter :obj has an unsupported type list"),
        ("SELECT * FROM t WHERE", "expected a condition at the end of the query"),
        ("SELECT * FROM t WHERE LIMIT 5", "expected a value or a field name, found keyword LIMIT"),
        ("SELECT * FROM t WHERE x =", "expected a value or a field name at the end"),
        ("SELECT * FROM t WHERE x = = 1", "expected a value or a field name, found '='"),
        ("SELECT * FROM t WHERE (x = 1", "expected ')' at the end of the query; to close the '('"),
        ("SELECT * FROM t WHERE ()", "expected a value or a field name, found ')'"),
        ("SELECT * FROM t WHERE x = 1 AND", "expected a condition at the end of the query"),
        ("SELECT * FROM t WHERE x = 1 OR OR y = 2", "found keyword OR"),
        ("SELECT * FROM t WHERE NOT", "expected a condition"),
        ("SELECT * FROM t WHERE x IS 1", "expected NULL after IS, found '1'"),
        ("SELECT * FROM t WHERE x IS NOT", "expected NULL after IS NOT"),
        ("SELECT * FROM t WHERE x IN 1", "expected '(' after IN, found '1'"),
        ("SELECT * FROM t WHERE x IN ()", "IN needs at least one value"),
        ("SELECT * FROM t WHERE x IN (1, 2", "expected ',' or ')' in the IN list"),
        ("SELECT * FROM t WHERE x NOT = 1", "found keyword NOT"),
        ("SELECT * FROM t WHERE x BETWEEN 1 OR 2", "expected AND in BETWEEN ... AND ..."),
        ("SELECT * FROM t WHERE 5", "expected a condition, found '5'"),
        ("SELECT * FROM t WHERE 'text'", "expected a condition, found string 'text'"),
        ("SELECT * FROM t WHERE metadata = 'x'", "metadata cannot be compared as a whole"),
        ("SELECT * FROM t WHERE type.colour = 'x'", "unknown type attribute 'type.colour'"),
        ("SELECT type.colour FROM t", "unknown type attribute"),
        ("SELECT * FROM t WHERE data. = 1", "expected a field name after 'data.'"),
        ("SELECT * FROM t WHERE mimetype = 'foo/bar'", "unknown mimetype 'foo/bar'"),
        ("SELECT * FROM t WHERE mimetype = true", "mimetype is compared with a string"),
        ("SELECT * FROM t WHERE version > 'new'", "'new' is not a version"),
        ("SELECT * FROM t WHERE timestamp > 'yesterday'", "'yesterday' is not an ISO-8601 time"),
        ("SELECT * FROM t WHERE created < true", "times are compared with milliseconds"),
        ("SELECT * FROM t WHERE id = 'abc'", "'abc' is not an event id"),
        ("SELECT * FROM t WHERE x = 1 AS y", "found keyword AS at column 29"),
        ("SELECT limit FROM t", "expected '*' or a list of fields after SELECT, found keyword"),
        ("SELECT a, FROM t", "unexpected keyword FROM"),
        ("SELECT a AS FROM t", "expected a name after AS, found keyword FROM"),
        ("SELECT *, a FROM t", "expected FROM, found ','"),
        ("SELECT * FROM t WHERE " + "(" * 100 + "x = 1" + ")" * 100, "nested too deeply"),
    ],
)
def test_errors(text: str, message: str) -> None:
    params = {"n": -1, "f": 1.5, "b": True, "s": "3", "obj": [1]}
    assert message in error(text, params)


def test_errors_say_where_on_multiline_queries() -> None:
    text = "SELECT *\nFROM orders\nWHERE x = 12abc"
    with pytest.raises(InvalidQuery) as caught:
        parse_query(text)
    assert "at line 3, column 11 (near '12abc')" in str(caught.value)
    assert caught.value.index == text.index("12abc")


def test_invalid_query_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgument):
        parse_query("SELECT")
    assert issubclass(InvalidQuery, ValueError)


@pytest.mark.parametrize("value", [None, b"SELECT * FROM t", 42])
def test_a_query_must_be_text(value: Any) -> None:
    with pytest.raises(InvalidQuery, match="must be text"):
        parse_query(value)


def test_overlong_query() -> None:
    with pytest.raises(InvalidQuery, match="limit is"):
        parse_query("SELECT * FROM t WHERE x = '" + "a" * ensql.MAX_QUERY_LENGTH + "'")


def test_query_built_directly_matches_everything() -> None:
    query = EnsqlQuery(topic="orders")
    assert query.matches(EVENT)
    assert query.selects_all
    assert query.project(EVENT) is EVENT.event
    assert EnsqlQuery("orders", "Order", (2,)).matches(EVENT) is False


# --- robustness ---------------------------------------------------------------------------------

FRAGMENTS = [
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "AS",
    "BETWEEN", "TRUE", "FALSE", "OFFSET", "LIMIT", "*", ",", ".", "(", ")", ";", "=", "!=", "<>",
    "<", ">=", "==", "'x'", "'it''s'", "'", '"', "`", '"q"', "1", "-2", "3.5", "1.2.3", "1e3",
    "v1", "orders", "Order", "data", "metadata", "type", "version", "mimetype", "offset",
    "timestamp", "created", "id", "region", "qty", ":p", "$q", "@r", ":nope", "%", "_", "--",
    "\n", "#", "\\", "é", "\x00", "'2024-01-01'", "'application/json'", "'1.2'", "9" * 40,
]  # fmt: skip


VALUES = ["1", "-2", "3.5", "'eu'", "'7'", "TRUE", "NULL", ":p", "$q", "@r", "'1.2'", "x"]
FIELDS = ["region", "count", "data.x", "data.x.0", "data.x.1.y", "metadata.a", "a", "type",
          "version", "type.major", "mimetype", "offset", "timestamp", "created", "data", "id",
          '"quoted"']  # fmt: skip


def _random_condition(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        op = rng.choice([" AND ", " OR "])
        return op.join(_random_condition(rng, depth + 1) for _ in range(rng.randint(2, 3)))
    if depth < 3 and roll < 0.35:
        return f"NOT ({_random_condition(rng, depth + 1)})"
    field, value = rng.choice(FIELDS), rng.choice(VALUES)
    return rng.choice(
        [
            f"{field} {rng.choice(['=', '!=', '<>', '<', '<=', '>', '>=', '=='])} {value}",
            f"{field} {rng.choice(['LIKE', 'NOT ILIKE'])} '{rng.choice(['%', 'e_', '%1%', ''])}'",
            f"{field} {rng.choice(['IN', 'NOT IN'])} ({value}, {rng.choice(VALUES)})",
            f"{field} IS {rng.choice(['', 'NOT '])}NULL",
            f"{field} BETWEEN {value} AND {rng.choice(VALUES)}",
            field,
        ]
    )


def _random_query(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        alphabet = "SELECT*FROMWHERE wx=<>!()',.;:$@-_%0123456789\"`\n"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    if roll < 0.6:
        select = rng.choice(["*", "a", "data.x, region AS r", "data, metadata", "version"])
        source = rng.choice(["orders", "orders.Order", "orders.Order.v1", '"o.x".T.1.2.3'])
        text = f"SELECT {select} FROM {source} WHERE {_random_condition(rng)}"
        text += rng.choice(["", " LIMIT 3", " OFFSET 1 LIMIT 2", ";"])
        if rng.random() < 0.5:  # mutate: drop, duplicate or insert a token
            words = text.split(" ")
            spot = rng.randrange(len(words))
            choice = rng.random()
            if choice < 0.4:
                del words[spot]
            elif choice < 0.7:
                words.insert(spot, words[spot])
            else:
                words.insert(spot, rng.choice(FRAGMENTS))
            text = " ".join(words)
        return text
    parts = ["SELECT", rng.choice(["*", "a", "data.x, region"]), "FROM", "orders"]
    if roll < 0.8:
        parts += ["WHERE"]
    parts += [rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 12))]
    if rng.random() < 0.3:
        del parts[rng.randrange(len(parts))]
    return rng.choice([" ", ""]).join(parts)


def test_fuzz_only_invalid_query_or_success() -> None:
    rng = random.Random(20240131)
    params = {"p": 1, "q": "eu", "r": b"x"}
    records = [EVENT, record(b"\xff not json"), record({"x": [1, {"y": None}]}, {"a": "1"})]
    parsed = 0
    for _ in range(4000):
        text = _random_query(rng)
        try:
            query = parse_query(text, params)
        except InvalidQuery as exc:
            assert str(exc)
            continue
        parsed += 1
        for rec in records:
            assert isinstance(query.matches(rec), bool)
            assert isinstance(query.project(rec), Event)
    assert parsed > 500  # the generator does produce valid queries too


def test_where_is_compiled_once() -> None:
    query = parse_query("SELECT * FROM t WHERE count > 5 AND region IN ('eu', 'us')")
    records = [record(b"x", {"count": str(n), "region": "eu"}, offset=n) for n in range(2000)]
    assert sum(query.matches(rec) for rec in records) == 2000 - 6
