"""Conversions between the broker's model and the wire messages."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from embedded_broker.auth.api_keys import ApiKey
from embedded_broker.core.dedup import DedupPolicy, DedupStrategy, OffsetPosition
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.model import EventRecord, Project, Topic, TopicState
from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1 import event_pb2, topic_pb2
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2

_STATES = {TopicState.READY: topic_pb2.READY, TopicState.ARCHIVED: topic_pb2.READONLY}


def timestamp(ms: int | None) -> Timestamp:
    """A protobuf Timestamp from milliseconds since the epoch (unset for None)."""
    stamp = Timestamp()
    if ms is not None:
        stamp.FromMilliseconds(ms)
    return stamp


def topic_state(topic: Topic) -> topic_pb2.TopicState:
    """The wire state of a topic (archived topics are READONLY)."""
    return _STATES[topic.state]


def dedup_message(policy: DedupPolicy) -> topic_pb2.Deduplication:
    """A dedup policy as Ensign's Deduplication message."""
    return topic_pb2.Deduplication(
        strategy=int(policy.strategy),  # type: ignore[arg-type]
        offset=int(policy.offset),  # type: ignore[arg-type]
        keys=list(policy.keys),
        fields=list(policy.fields),
    )


def dedup_policy(message: topic_pb2.Deduplication) -> DedupPolicy:
    """Ensign's Deduplication message as a policy (UNKNOWN means NONE, EARLIEST by default).

    Raises:
        InvalidArgument: if the policy is incomplete (e.g. UNIQUE_KEY without keys), or its
            strategy or offset position is not one Ensign defines.
    """
    try:
        strategy = DedupStrategy(message.strategy or DedupStrategy.NONE)
        offset = OffsetPosition(message.offset or OffsetPosition.EARLIEST)
    except ValueError:
        raise InvalidArgument(
            f"unknown deduplication strategy ({message.strategy}) or offset position "
            f"({message.offset})"
        ) from None
    return DedupPolicy(strategy, offset, keys=tuple(message.keys), fields=tuple(message.fields))


def type_infos(topic: Topic) -> list[topic_pb2.EventTypeInfo]:
    """Per-type event counts of a topic."""
    return [
        topic_pb2.EventTypeInfo(
            type=event_pb2.Type(
                name=name, major_version=major, minor_version=minor, patch_version=patch
            ),
            mimetype=mimetype,  # type: ignore[arg-type]
            events=events,
            data_size_bytes=size,
        )
        for (name, major, minor, patch, mimetype), (events, size) in sorted(
            topic.stats.type_mimes.items()
        )
    ]


def topic_message(topic: Topic) -> topic_pb2.Topic:
    """A topic as Ensign's Topic message."""
    return topic_pb2.Topic(
        id=topic.id,
        project_id=topic.project_id,
        name=topic.name,
        readonly=topic.state is TopicState.ARCHIVED,
        offset=topic.stats.events,
        shards=1,
        status=topic_state(topic),
        deduplication=dedup_message(topic.dedup),
        types=[
            event_pb2.Type(name=n, major_version=ma, minor_version=mi, patch_version=pa)
            for n, ma, mi, pa in sorted(topic.stats.types)
        ],
        created=timestamp(topic.created_ms),
        modified=timestamp(topic.modified_ms),
    )


def topic_info(topic: Topic) -> topic_pb2.TopicInfo:
    """A topic's statistics as Ensign's TopicInfo message."""
    return topic_pb2.TopicInfo(
        topic_id=topic.id,
        project_id=topic.project_id,
        events=topic.stats.events,
        duplicates=topic.stats.duplicates,
        data_size_bytes=topic.stats.bytes,
        types=type_infos(topic),
        modified=timestamp(topic.stats.last_ms or topic.modified_ms),
    )


def topic_details(topic: Topic, project_name: str) -> admin_pb2.TopicDetails:
    """A topic with its statistics, for the admin service."""
    stats = topic.stats
    return admin_pb2.TopicDetails(
        topic=topic_message(topic),
        project_name=project_name,
        events=stats.events,
        data_size_bytes=stats.bytes,
        duplicates=stats.duplicates,
        first_offset=stats.first_offset or 0,
        last_offset=stats.last_offset or 0,
        first_committed=timestamp(stats.first_ms),
        last_committed=timestamp(stats.last_ms),
        types=type_infos(topic),
    )


def event_wrapper(
    record: EventRecord, event: event_pb2.Event | None = None
) -> event_pb2.EventWrapper:
    """A stored event as the EventWrapper sent to subscribers and query clients.

    ``event`` replaces the stored event (a query's projection of it).
    """
    return event_pb2.EventWrapper(
        id=record.id,
        topic_id=record.topic_id,
        offset=record.offset,
        event=record.body if event is None else event.SerializeToString(),
        is_duplicate=record.is_duplicate,
        committed=timestamp(record.committed_ms),
    )


def project_message(project: Project) -> admin_pb2.Project:
    """A project for the admin service."""
    return admin_pb2.Project(
        id=project.id, name=project.name, created=timestamp(project.created_ms)
    )


def key_message(key: ApiKey) -> admin_pb2.ApiKey:
    """An API key's public record (never a secret) for the admin service."""
    return admin_pb2.ApiKey(
        id=key.id,
        client_id=key.client_id,
        project_id=key.project_id,
        name=key.name,
        permissions=sorted(p.value for p in key.permissions),
        created=timestamp(key.created_ms),
        last_used=timestamp(key.last_used_ms),
        revoked=timestamp(key.revoked_ms),
    )


KNOWN_MIMETYPES = frozenset(mimetype_pb2.MIME.values())
