"""EnSQL text, random and mutated: a query parses or is refused with InvalidArgument, and a parsed
query filters and projects any event without another error."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from embedded_broker.core.ensql import parse_query
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.model import EventRecord
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, Type
from tests.fuzz.conftest import fuzz_settings

VALID = [
    "SELECT * FROM orders",
    "SELECT * FROM orders WHERE metadata.region = 'eu' AND total > 5 LIMIT 10",
    "SELECT id, data.customer.name AS who FROM orders.Order.v1.2.0 WHERE created > "
    "'2000-01-01T00:00:00Z' OFFSET 3",
    "SELECT * FROM t WHERE (a LIKE 'x%' OR b NOT IN (1, 2.5, 'c')) AND c BETWEEN :lo AND $hi",
    "SELECT * FROM t WHERE mimetype = 'application/json' AND version >= '1.4' AND id IS NOT NULL",
    'SELECT * FROM "a.b" WHERE timestamp <= 1700000000000 AND type.major != 2',
]
WORDS = [
    "SELECT",
    "*",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "LIKE",
    "ILIKE",
    "IN",
    "BETWEEN",
    "IS",
    "NULL",
    "LIMIT",
    "OFFSET",
    "AS",
    "(",
    ")",
    ",",
    ".",
    "=",
    "!=",
    "<>",
    "<",
    ">=",
    "'x'",
    "'2024-01-31T12:00:00Z'",
    "1e308",
    "-0",
    "9" * 40,
    ":p",
    "$q",
    "@r",
    "data.a.b",
    "created",
    "offset",
    "id",
    "mimetype",
    "version",
    "type.patch",
    '"quoted.name"',
    "'",
    '"',
    "\\",
    "\x00",
    "é",
    "🙂",
]


def _record(data: bytes, metadata: dict[str, str], created: int) -> EventRecord:
    event = Event(data=data, metadata=metadata, mimetype=50, type=Type(name="Order"))
    event.created.seconds = created
    return EventRecord(b"t" * 16, 7, b"i" * 10, 0, event.SerializeToString())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _mutated(text: str, data: st.DataObject) -> str:
    pieces = list(text)
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(pieces)))
        action = data.draw(st.sampled_from(["insert", "delete", "word"]))
        if action == "delete" and pieces:
            del pieces[min(where, len(pieces) - 1)]
        elif action == "word":
            pieces[where:where] = " " + data.draw(st.sampled_from(WORDS)) + " "
        else:
            pieces[where:where] = data.draw(st.text(max_size=3))
    return "".join(pieces)


@fuzz_settings(400)
@given(data=st.data())
def test_any_query_text_parses_or_is_an_invalid_argument(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["mutated", "words", "text"]))
    if kind == "mutated":
        text = _mutated(data.draw(st.sampled_from(VALID)), data)
    elif kind == "words":
        text = " ".join(data.draw(st.lists(st.sampled_from(WORDS), max_size=25)))
    else:
        text = data.draw(st.text(max_size=120))
    params = data.draw(
        st.dictionaries(
            st.sampled_from(["p", "q", "r", "lo", "hi", ":lo", ""]),
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text(max_size=5)
            | st.binary(max_size=5),
            max_size=3,
        )
    )
    try:
        query = parse_query(text, params)
    except InvalidArgument:
        return
    body = json.dumps(data.draw(json_values)).encode()
    created = data.draw(st.sampled_from([0, 1_700_000_000, 1_700_000_000_000, -(2**62)]))
    metadata = data.draw(
        st.dictionaries(st.sampled_from(["a", "b", "region"]), st.text(max_size=4))
    )
    for payload in (body, data.draw(st.binary(max_size=20))):
        record = _record(payload or b"x", metadata, created)
        try:
            if query.matches(record):
                query.project(record)
        except InvalidArgument:
            pass
