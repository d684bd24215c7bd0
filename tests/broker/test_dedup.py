from __future__ import annotations

from pathlib import Path

import pytest

from embedded_broker.core.dedup import DedupPolicy, DedupStrategy, OffsetPosition
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.ids import new_ulid
from embedded_broker.core.model import Project
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from embedded_broker.storage.event_store import EventStore
from tests.conftest import make_event

JSON = mimetype_pb2.APPLICATION_JSON


def _duplicates_of(store: EventStore, project: Project, policy: DedupPolicy, events: list[Event]):
    topic = store.create_topic(project.id, "t", policy)
    receipt = store.publish(topic.id, events).result()
    flags = {r.offset: r.duplicate_of for r in store.read(topic.id) if r.is_duplicate}
    assert flags == receipt.duplicates
    assert store.topic(topic.id).stats.duplicates == len(flags)
    assert store.topic(topic.id).stats.events == len(events)  # duplicates are stored too
    return flags


def test_none_keeps_everything(store: EventStore, project: Project) -> None:
    events = [make_event("same")] * 3
    assert _duplicates_of(store, project, DedupPolicy(), events) == {}


def test_strict_compares_data_metadata_mimetype_and_type(
    store: EventStore, project: Project
) -> None:
    base = make_event("d", {"a": "1"}, JSON, "T", (1, 0, 0))
    events = [
        base,
        make_event("d", {"a": "1"}, JSON, "T", (1, 0, 0)),  # 2: same as 1
        make_event("d", {"a": "2"}, JSON, "T", (1, 0, 0)),  # metadata differs
        make_event("d", {"a": "1"}, mimetype_pb2.TEXT_PLAIN, "T", (1, 0, 0)),  # mimetype
        make_event("d", {"a": "1"}, JSON, "T", (1, 1, 0)),  # type version
        make_event("e", {"a": "1"}, JSON, "T", (1, 0, 0)),  # data
    ]
    events[1].created.FromMilliseconds(123)  # the created time is not compared
    policy = DedupPolicy(DedupStrategy.STRICT)
    assert _duplicates_of(store, project, policy, events) == {2: 1}


def test_datagram_compares_data_only(store: EventStore, project: Project) -> None:
    events = [make_event("d", {"a": "1"}), make_event("d", {"a": "2"}, JSON), make_event("x")]
    policy = DedupPolicy(DedupStrategy.DATAGRAM)
    assert _duplicates_of(store, project, policy, events) == {2: 1}


def test_key_grouped_compares_the_keys_and_the_data(store: EventStore, project: Project) -> None:
    events = [
        make_event("d", {"user": "ann", "other": "1"}),
        make_event("d", {"user": "ann", "other": "2"}),  # dup of 1: other keys ignored
        make_event("e", {"user": "ann"}),  # data differs
        make_event("d", {"user": "bob"}),  # key differs
        make_event("d", {}),  # no key: never a duplicate
        make_event("d", {}),
    ]
    policy = DedupPolicy(DedupStrategy.KEY_GROUPED, keys=("user",))
    assert _duplicates_of(store, project, policy, events) == {2: 1}


def test_unique_key_compares_the_keys_only(store: EventStore, project: Project) -> None:
    events = [
        make_event("v1", {"order": "7", "region": "eu"}),
        make_event("v2", {"order": "7", "region": "eu"}),  # dup of 1 though data differs
        make_event("v3", {"order": "7", "region": "us"}),
        make_event("v4", {"order": "8", "region": "eu"}),
        make_event("v5", {"order": "7", "region": "eu"}),  # dup of 1
    ]
    policy = DedupPolicy(DedupStrategy.UNIQUE_KEY, keys=("order", "region"))
    assert _duplicates_of(store, project, policy, events) == {2: 1, 5: 1}


def test_unique_field_compares_json_fields(store: EventStore, project: Project) -> None:
    events = [
        make_event(b'{"id": 1, "v": "a", "nested": {"x": 1, "y": 2}}', mimetype=JSON),
        make_event(b'{"v": "b", "id": 1, "nested": {"y": 2, "x": 1}}', mimetype=JSON),  # dup
        make_event(b'{"id": 2, "nested": {"x": 1, "y": 2}}', mimetype=JSON),
        make_event(b"not json", mimetype=JSON),
        make_event(b"not json", mimetype=JSON),
        make_event(b'{"unrelated": true}', mimetype=JSON),
        make_event(b'{"unrelated": true}', mimetype=JSON),
    ]
    policy = DedupPolicy(DedupStrategy.UNIQUE_FIELD, fields=("id", "nested"))
    assert _duplicates_of(store, project, policy, events) == {2: 1}


def test_latest_offset_points_at_the_most_recent_duplicate(
    store: EventStore, project: Project
) -> None:
    events = [make_event("d")] * 3
    latest = DedupPolicy(DedupStrategy.DATAGRAM, offset=OffsetPosition.LATEST)
    assert _duplicates_of(store, project, latest, events) == {2: 1, 3: 2}


def test_duplicates_are_found_across_batches_and_restarts(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        project = new_ulid()
        policy = DedupPolicy(DedupStrategy.DATAGRAM)
        topic = store.create_topic(project, "t", policy)
        store.publish(topic.id, [make_event("once")]).result()
    with EventStore.open(data_dir) as store:
        receipt = store.publish(topic.id, [make_event("once"), make_event("new")]).result()
        assert receipt.duplicates == {2: 1}
        assert store.topic(topic.id).dedup == policy


def test_changing_the_policy_fingerprints_the_history(store: EventStore, project: Project) -> None:
    topic = store.create_topic(project.id, "t")
    store.publish(topic.id, [make_event("a", {"k": "1"}), make_event("a", {"k": "1"})]).result()
    store.set_dedup_policy(topic.id, DedupPolicy(DedupStrategy.UNIQUE_KEY, keys=("k",)))
    receipt = store.publish(topic.id, [make_event("b", {"k": "1"})]).result()
    assert receipt.duplicates == {3: 1}
    assert not any(r.is_duplicate for r in store.read(topic.id, 1, 2))  # history keeps its flags


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (DedupStrategy.KEY_GROUPED, "needs at least one key"),
        (DedupStrategy.UNIQUE_KEY, "needs at least one key"),
        (DedupStrategy.UNIQUE_FIELD, "needs at least one field"),
    ],
)
def test_policies_without_their_keys_are_rejected(strategy: DedupStrategy, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        DedupPolicy(strategy)
