"""Our .proto files match the official SDK's generated descriptors, field for field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from embedded_broker.proto.ensign.v1beta1 import (
    ensign_pb2,
    event_pb2,
    groups_pb2,
    query_pb2,
    topic_pb2,
)
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from embedded_broker.proto.region.v1beta1 import region_pb2
from tests.interop.dump_descriptors import dump
from tests.interop.pyensign_env import run_json

OURS = dump([event_pb2, topic_pb2, groups_pb2, query_pb2, ensign_pb2, mimetype_pb2, region_pb2])
# Messages the SDK ships that a broker never sends or receives.
NOT_ON_THE_WIRE = {"ensign.v1beta1.EventContainer", "region.v1beta1.RegionInfo"}
NOT_ON_THE_WIRE |= {
    f"ensign.v1beta1.EventContainer.{n}Entry"
    for n in ("Epochs", "RegionIndex", "PublisherIndex", "KeyIndex", "ShardIndex")
}


@pytest.fixture(scope="module")
def official() -> dict[str, Any]:
    result = run_json(Path(__file__).with_name("dump_descriptors.py"))
    assert isinstance(result, dict)
    return result


def test_every_message_and_field_matches(official: dict[str, Any]) -> None:
    for name, fields in official["messages"].items():
        if name in NOT_ON_THE_WIRE:
            continue
        assert name in OURS["messages"], f"message {name} is missing"
        assert OURS["messages"][name] == fields, f"message {name} differs"


def test_every_enum_value_matches(official: dict[str, Any]) -> None:
    for name, values in official["enums"].items():
        ours = OURS["enums"].get(name)
        assert ours is not None, f"enum {name} is missing"
        if name == "region.v1beta1.Region":  # we name only UNKNOWN; others pass as numbers
            assert ours == {"UNKNOWN": 0}
            continue
        assert ours == values, f"enum {name} differs"


def test_every_rpc_matches(official: dict[str, Any]) -> None:
    assert OURS["methods"] == official["methods"]
