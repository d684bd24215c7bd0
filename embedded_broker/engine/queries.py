"""EnSQL queries over a topic's stored events (Ensign's ``EnSQL`` and ``Explain``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.ensql import EnsqlQuery, parse_query
from embedded_broker.core.model import EventRecord, Topic
from embedded_broker.engine.broker import Broker
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

QUERY_PAGE = 500
"""Events read from the log per step of a query."""


def prepare_query(
    broker: Broker, caller: Caller, text: str, params: Mapping[str, object]
) -> tuple[EnsqlQuery, Topic]:
    """Parse a query and find its topic in the caller's project (Ensign's ``Explain`` does only
    this).

    Raises:
        PermissionDenied: without the ``subscriber`` permission.
        InvalidArgument: for an EnSQL error, with its position and what was expected.
        NotFound: if the project has no such topic.
    """
    caller.require(Permission.SUBSCRIBER)
    query = parse_query(text, params)
    return query, broker.project_topic(caller, query.topic)


async def run_query(
    broker: Broker, query: EnsqlQuery, topic: Topic, include_duplicates: bool = False
) -> AsyncIterator[tuple[EventRecord, Event | None]]:
    """Yield the rows of a prepared query, in offset order.

    The topic is read as it was when the query started: events published later are not rows.
    Each row is the stored record and the SELECT list's projection of its event (None for
    ``SELECT *``: the event as stored). Duplicates are skipped unless ``include_duplicates``.
    """
    skip, left = query.offset, query.limit
    start, end = 1, topic.stats.events
    while start <= end and (left is None or left > 0):
        records = await broker.read(
            broker.store.read, topic.id, start, min(QUERY_PAGE, end - start + 1)
        )
        if not records:
            return
        start = records[-1].offset + 1
        for record in records:
            if record.is_duplicate and not include_duplicates:
                continue
            if not query.matches(record):
                continue
            if skip:
                skip -= 1
                continue
            yield record, None if query.selects_all else query.project(record)
            if left is not None:
                left -= 1
                if left == 0:
                    return
