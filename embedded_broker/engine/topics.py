"""Topic management: who may list, create, archive, destroy and change topics, and how.

Every operation checks the caller's permission first, then stays inside the caller's project
(a ``broker:admin`` key may name another project). Changes wait for the event log's writer, so
they run off the event loop.
"""

from __future__ import annotations

from collections.abc import Collection

from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.dedup import DedupPolicy, DedupStrategy
from embedded_broker.core.errors import InvalidArgument, NotFound
from embedded_broker.core.ids import ulid_str
from embedded_broker.core.model import Project, Topic
from embedded_broker.engine.broker import Broker


def list_topics(
    broker: Broker, caller: Caller, project_id: bytes = b"", all_projects: bool = False
) -> list[Topic]:
    """Topics by name: of the caller's project, of ``project_id``, or of every project.

    Raises:
        PermissionDenied: without ``topics:read``; for another project or ``all_projects``
            without ``broker:admin``.
    """
    caller.require(Permission.TOPICS_READ)
    if all_projects:
        caller.require(Permission.BROKER_ADMIN)
        return broker.store.topics()
    return broker.store.topics(caller.project(project_id))


def project_topics(
    broker: Broker, caller: Caller, topic_ids: Collection[bytes] = ()
) -> list[Topic]:
    """The caller's project's topics (only those in ``topic_ids`` when given), for statistics.

    Raises:
        PermissionDenied: without ``topics:read`` or ``metrics:read``.
    """
    caller.require(Permission.TOPICS_READ, Permission.METRICS_READ)
    topics = broker.store.topics(caller.project_id)
    if topic_ids:
        wanted = set(topic_ids)
        topics = [t for t in topics if t.id in wanted]
    return topics


def find_topic(broker: Broker, caller: Caller, ref: bytes | str) -> Topic:
    """A topic of the caller's project by 16-byte id, ULID text or name.

    Raises:
        PermissionDenied: without ``topics:read``.
        NotFound: if the project has no such topic.
    """
    caller.require(Permission.TOPICS_READ)
    return broker.project_topic(caller, ref)


async def create_topic(
    broker: Broker,
    caller: Caller,
    name: str,
    policy: DedupPolicy | None = None,
    project_id: bytes = b"",
) -> Topic:
    """Create a topic in the caller's project (or, for a broker admin, in ``project_id``).

    Raises:
        PermissionDenied: without ``topics:create``, or for another project.
        NotFound: if ``project_id`` names no project.
        InvalidArgument: if the name breaks Ensign's topic-name rules.
        AlreadyExists: if the project has a topic of that name.
    """
    caller.require(Permission.TOPICS_CREATE)
    project = caller.project(project_id)
    if project != caller.project_id:
        await broker.change(broker.projects.get, project)
    return await broker.change(broker.store.create_topic, project, name, policy)


async def archive_topic(broker: Broker, caller: Caller, ref: bytes | str) -> Topic:
    """Make a topic read-only: its events stay readable, publishing is refused.

    Raises:
        PermissionDenied: without ``topics:edit``.
        NotFound: if the project has no such topic.
    """
    caller.require(Permission.TOPICS_EDIT)
    topic = broker.project_topic(caller, ref)
    return await broker.change(broker.store.archive_topic, topic.id)


async def destroy_topic(broker: Broker, caller: Caller, ref: bytes | str) -> Topic:
    """Destroy a topic for good: its key first (crypto-shredding), then its events and groups.

    Returns:
        The topic as it was.

    Raises:
        PermissionDenied: without ``topics:destroy``.
        NotFound: if the project has no such topic.
    """
    caller.require(Permission.TOPICS_DESTROY)
    topic = broker.project_topic(caller, ref)
    await broker.change(broker.store.destroy_topic, topic.id)
    broker.groups.forget_topic(topic.id)
    return topic


async def set_topic_policy(
    broker: Broker,
    caller: Caller,
    ref: bytes | str,
    policy: DedupPolicy | None,
    sharded: bool = False,
) -> Topic:
    """Change a topic's deduplication policy (None keeps it).

    Args:
        broker: the broker's state.
        caller: needs ``topics:edit``.
        ref: the topic's id, ULID text or name.
        policy: the new policy; setting NONE on a topic without one changes nothing.
        sharded: True if the caller asked for a sharding strategy other than none.

    Raises:
        PermissionDenied: without ``topics:edit``.
        NotFound: if the project has no such topic.
        InvalidArgument: for sharding (this broker keeps each topic in one shard).
    """
    caller.require(Permission.TOPICS_EDIT)
    topic = broker.project_topic(caller, ref)
    if sharded:
        raise InvalidArgument("this broker keeps each topic in one shard: use NO_SHARDING")
    if policy is not None and (policy.strategy is not DedupStrategy.NONE or topic.dedup.enabled):
        topic = await broker.change(broker.store.set_dedup_policy, topic.id, policy)
    return topic


def topic_exists(
    broker: Broker, caller: Caller, project_id: str = "", topic_id: str = "", name: str = ""
) -> bool:
    """Whether the caller's project has a topic with this id and/or name (Ensign's
    ``TopicExists``: every given part must match; a project id other than the caller's means
    no).

    Raises:
        PermissionDenied: without ``topics:read``.
        InvalidArgument: without a topic id or name.
    """
    caller.require(Permission.TOPICS_READ)
    if not (topic_id or name):
        raise InvalidArgument("TopicExists needs a topic name or id")
    exists = not project_id or project_id == ulid_str(caller.project_id)
    for ref in (topic_id, name):
        if exists and ref:
            try:
                topic = broker.project_topic(caller, ref)
            except NotFound:
                exists = False
            else:
                exists = not name or topic.name == name
    return exists


async def project_names(broker: Broker) -> dict[bytes, str]:
    """Project id -> name, for every project."""
    projects: list[Project] = await broker.change(broker.projects.list)
    return {p.id: p.name for p in projects}
