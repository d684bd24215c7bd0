"""The broker's rules as the client hands them to views: the broker's own rule and message."""

from __future__ import annotations

import pytest

from embedded_broker.core.dedup import DedupStrategy
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.ids import ulid_str as broker_ulid_str
from embedded_broker.core.mime_names import mime_text
from embedded_broker.core.names import validate_topic_name as broker_validate_topic_name
from workbench.client import broker_rules
from workbench.client.broker_client import encode_event
from workbench.client.errors import ClientError, InvalidInput
from workbench.client.records import NewEvent


@pytest.mark.parametrize("name", ["orders", "a", "Orders.v2-eu_west", "x" * 512])
def test_a_valid_topic_name_is_returned(name: str) -> None:
    assert broker_rules.validate_topic_name(name) == name


@pytest.mark.parametrize("name", ["", "2fast", "_orders", "orders/eu", "ordérs", "x" * 513])
def test_an_invalid_topic_name_raises_a_client_error_with_the_brokers_message(name: str) -> None:
    with pytest.raises(InvalidArgument) as broker:
        broker_validate_topic_name(name)
    with pytest.raises(InvalidInput) as client:
        broker_rules.validate_topic_name(name)
    assert isinstance(client.value, ClientError)
    assert not isinstance(client.value, InvalidArgument), "a client-side type, not the broker's"
    assert str(client.value) == str(broker.value)


def test_dedup_strategies_are_the_wire_names_in_wire_order() -> None:
    names = broker_rules.DEDUP_STRATEGIES
    assert names == ("NONE", "STRICT", "DATAGRAM", "KEY_GROUPED", "UNIQUE_KEY", "UNIQUE_FIELD")
    assert [DedupStrategy[name] for name in names] == sorted(DedupStrategy)


@pytest.mark.parametrize(
    ("strategy", "keys", "fields"),
    [
        ("NONE", [], []),
        ("STRICT", [], []),
        ("KEY_GROUPED", ["region"], []),
        ("UNIQUE_KEY", ["customer", "region"], []),
        ("UNIQUE_FIELD", [], ["order_id"]),
    ],
)
def test_a_usable_dedup_policy_passes(strategy: str, keys: list[str], fields: list[str]) -> None:
    broker_rules.validate_dedup_policy(strategy, keys, fields)


@pytest.mark.parametrize(
    ("strategy", "keys", "fields", "message"),
    [
        ("KEY_GROUPED", [], [], "KEY_GROUPED deduplication needs at least one key"),
        ("UNIQUE_KEY", [], ["order_id"], "UNIQUE_KEY deduplication needs at least one key"),
        ("UNIQUE_FIELD", ["region"], [], "UNIQUE_FIELD deduplication needs at least one field"),
        ("UNIQUE_KEY", ["region", ""], [], "may not be empty strings"),
        ("SOMETIMES", [], [], "unknown deduplication strategy 'SOMETIMES'"),
    ],
)
def test_an_unusable_dedup_policy_says_why(
    strategy: str, keys: list[str], fields: list[str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        broker_rules.validate_dedup_policy(strategy, keys, fields)


def test_ids_are_formatted_as_the_broker_formats_them() -> None:
    raw = bytes(range(16))
    assert broker_rules.ulid_str(raw) == broker_ulid_str(raw)
    assert len(broker_rules.ulid_str(raw)) == 26
    with pytest.raises(InvalidInput, match="16 bytes"):
        broker_rules.ulid_str(b"short")


def test_mimetype_numbers_name_the_mimetypes() -> None:
    assert mime_text(broker_rules.APPLICATION_OCTET_STREAM) == "application/octet-stream"
    assert mime_text(broker_rules.TEXT_PLAIN) == "text/plain"
    assert mime_text(broker_rules.TEXT_CSV) == "text/csv"
    assert mime_text(broker_rules.APPLICATION_JSON) == "application/json"
    assert type(broker_rules.APPLICATION_JSON) is int


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("application/json", broker_rules.APPLICATION_JSON),
        ("Application/JSON; charset=utf-8", broker_rules.APPLICATION_JSON),
        ("APPLICATION_JSON_LD", broker_rules.APPLICATION_JSON_LD),
        ("text/csv", broker_rules.TEXT_CSV),
    ],
)
def test_mimetype_text_is_read_as_the_broker_reads_it(text: str, number: int) -> None:
    assert broker_rules.mimetype_number(text) == number
    assert broker_rules.mimetype_text(number) == mime_text(number)


def test_an_unknown_mimetype_is_refused_with_examples() -> None:
    with pytest.raises(InvalidInput, match="unknown mimetype 'application/jsn'; use one such as"):
        broker_rules.mimetype_number("application/jsn")


@pytest.mark.parametrize(
    ("new", "named"),
    [
        (NewEvent(b"", type_name="Order\udcff"), "the type name 'Order\\udcff'"),
        (NewEvent(b"", metadata={"k\ud800": "v"}), "the metadata key 'k\\ud800'"),
        (NewEvent(b"", metadata={"k": "\udfff"}), "the metadata value '\\udfff' of 'k'"),
    ],
)
def test_an_event_field_that_is_not_unicode_text_is_refused_by_name(
    new: NewEvent, named: str
) -> None:
    """Protobuf ``string`` fields are UTF-8; a lone surrogate has no UTF-8 form."""
    with pytest.raises(InvalidInput, match="is not Unicode text") as error:
        encode_event(new)
    assert str(error.value).startswith(named)
