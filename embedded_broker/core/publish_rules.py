"""What a published event must be: every refusal rule of publishing, written once.

The engine's admission applies them all before an event is queued (for the Ensign ``Publish``
stream and the admin ``PublishBatch`` alike); the event store applies the two that can change
between admission and commit (an archive or a destroy may land in between) as its commit-time
guard. Both raise the same errors with the same messages; each adapter maps an error to its own
wire form (a ``Nack`` code, or a gRPC status).

The rules are Ensign's: an event is one encoded ``ensign.v1beta1.Event`` small enough for a client
to receive (``MAX_EVENT_SIZE``), with data, a mimetype from ``mimetype.v1beta1.MIME`` and a
``created`` time a calendar shows (or none); an archived (read-only) topic takes none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from embedded_broker.core.errors import (
    EventTooLarge,
    MalformedEvent,
    TopicArchived,
    UnhandledMimetype,
)
from embedded_broker.core.mime_names import KNOWN_MIMETYPES
from embedded_broker.core.model import MAX_EVENT_SIZE, TopicState
from embedded_broker.core.timestamps import MAX_NANOS, MAX_SECONDS, MIN_SECONDS, timestamp_problem

if TYPE_CHECKING:
    from embedded_broker.core.model import Topic


class Moment(Protocol):
    """A ``google.protobuf.Timestamp``'s fields."""

    @property
    def seconds(self) -> int: ...

    @property
    def nanos(self) -> int: ...


class EventContent(Protocol):
    """What the content rule reads from a decoded event (``ensign.v1beta1.Event`` has it)."""

    @property
    def data(self) -> bytes: ...

    @property
    def mimetype(self) -> int: ...

    @property
    def created(self) -> Moment: ...


def check_topic_open(topic: Topic) -> None:
    """Refuse publishing to an archived topic.

    Raises:
        TopicArchived: if ``topic`` is read-only.
    """
    if topic.state is TopicState.ARCHIVED:
        raise TopicArchived(f"topic {topic.name!r} is archived (read-only); publish refused")


def check_event_size(size: int, index: int | None = None) -> None:
    """Refuse an encoded event larger than Ensign's limit.

    Args:
        size: the encoded ``Event``'s length in bytes.
        index: the event's position in a batch, named in the message when given.

    Raises:
        EventTooLarge: if ``size`` exceeds ``MAX_EVENT_SIZE`` (4 MiB less delivery framing).
    """
    if size > MAX_EVENT_SIZE:
        raise EventTooLarge(
            f"{_which(index)} is {size:,} bytes; the limit is {MAX_EVENT_SIZE:,} bytes (what a "
            "client with gRPC's default 4 MiB receive limit can be sent)"
        )


def check_event_content(event: EventContent, index: int | None = None) -> None:
    """Refuse an event without data, with a mimetype Ensign does not define, or with a
    ``created`` time no calendar shows (outside 0001..9999, see ``core.timestamps``).

    Args:
        event: the decoded event.
        index: the event's position in a batch, named in the message when given.

    Raises:
        MalformedEvent: if the event has no data or an invalid ``created`` time.
        UnhandledMimetype: if its mimetype is not a ``MIME`` value.
    """
    if not event.data:
        raise MalformedEvent(f"{_which(index)} has no data")
    if event.mimetype not in KNOWN_MIMETYPES:
        raise UnhandledMimetype(f"{_which(index)} has an unknown mimetype ({event.mimetype})")
    created = event.created
    problem = timestamp_problem(created.seconds, created.nanos)
    if problem is not None:
        raise MalformedEvent(f"{_which(index)} has an invalid created time: {problem}")


def check_batch_sizes(sizes: Sequence[int]) -> None:
    """:func:`check_event_size` for a batch, at the cost of one ``max`` when all is well.

    Raises:
        EventTooLarge: for the first event over the limit, naming its index.
    """
    if sizes and max(sizes) > MAX_EVENT_SIZE:
        for index, size in enumerate(sizes):
            check_event_size(size, index)


def check_batch_content(events: Sequence[EventContent]) -> None:
    """:func:`check_event_content` for a batch: one pass over data and mimetypes when all is
    well.

    Raises:
        MalformedEvent: for the first event without data, naming its index.
        UnhandledMimetype: for the first event with an unknown mimetype, naming its index.
    """
    if (
        all(event.data for event in events)
        and KNOWN_MIMETYPES.issuperset({event.mimetype for event in events})
        and all(_plain_time(event.created) for event in events)
    ):
        return
    for index, event in enumerate(events):
        check_event_content(event, index)


def _plain_time(moment: Moment) -> bool:
    return MIN_SECONDS <= moment.seconds <= MAX_SECONDS and 0 <= moment.nanos <= MAX_NANOS


def _which(index: int | None) -> str:
    return "event" if index is None else f"event {index}"
