"""Publish admission: whether one caller may publish an event to a topic, decided once.

The Ensign ``Publish`` stream and the admin ``PublishBatch`` both admit events here, so the same
event is refused for the same reason with the same message on either path; each adapter maps the
refusal to its wire form (a ``Nack`` code, a gRPC status). The checks run in this order: who
(the ``publisher`` permission), where (the topic exists for the caller and is not archived), what
(the encoded size, the encoding, data and mimetype: ``core.publish_rules``).

An admitted event is decoded exactly once, here; the store keeps the bytes as they came.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.message import DecodeError

from embedded_broker.auth.caller import Caller
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import MalformedEvent, PermissionDenied
from embedded_broker.core.model import Topic
from embedded_broker.core.publish_rules import (
    check_batch_content,
    check_batch_sizes,
    check_event_content,
    check_event_size,
    check_topic_open,
)
from embedded_broker.engine.broker import Broker
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

_NO_PUBLISHER = "this API key lacks the 'publisher' permission"


class Admission:
    """Admits one caller's events.

    Args:
        broker: the broker's state.
        caller: who publishes.
        any_project: look topics up by id in any project for a ``broker:admin`` caller (the admin
            API's rule); otherwise only the caller's own project is searched, by id or name
            (Ensign's rule).
    """

    __slots__ = ("_any_project", "_broker", "_caller", "_may_publish")

    def __init__(self, broker: Broker, caller: Caller, *, any_project: bool = False) -> None:
        self._broker = broker
        self._caller = caller
        self._any_project = any_project
        self._may_publish = caller.can(Permission.PUBLISHER)

    def topic(self, ref: bytes | str) -> Topic:
        """The topic to publish to, if the caller may publish there.

        Args:
            ref: the topic's 16-byte id (or, on the Ensign path, its ULID text or name).

        Raises:
            PermissionDenied: without the ``publisher`` permission, or for another project's
                topic on the admin path.
            NotFound: if the topic does not exist (for this caller).
            TopicArchived: if it is read-only.
        """
        if not self._may_publish:
            raise PermissionDenied(_NO_PUBLISHER)
        if self._any_project and isinstance(ref, bytes):
            topic = self._broker.caller_topic(self._caller, ref)
        else:
            topic = self._broker.project_topic(self._caller, ref)
        check_topic_open(topic)
        return topic

    @staticmethod
    def event(body: bytes, index: int | None = None) -> Event:
        """Decode an encoded ``ensign.v1beta1.Event`` that may be published.

        Args:
            body: the event as the publisher encoded it.
            index: its position in a batch, named in a refusal's message.

        Raises:
            EventTooLarge: over ``MAX_EVENT_SIZE`` (what a client can be sent).
            MalformedEvent: not a decodable event, or one without data.
            UnhandledMimetype: a mimetype Ensign does not define.
        """
        check_event_size(len(body), index)
        try:
            event: Event = Event.FromString(body)
        except DecodeError as exc:
            which = "" if index is None else f" {index}"
            raise MalformedEvent(f"malformed event{which}: {exc}") from None
        check_event_content(event, index)
        return event

    @staticmethod
    def batch(bodies: Sequence[bytes], decoded: Sequence[Event] | None = None) -> Sequence[Event]:
        """Admit a batch of encoded events that may all be published (see :meth:`event`).

        Args:
            bodies: the encoded events.
            decoded: the same events already decoded (in one pass over a request), if they are.

        Raises:
            EventTooLarge, MalformedEvent, UnhandledMimetype: for the first event refused,
                naming its index in the batch.
        """
        check_batch_sizes([len(body) for body in bodies])
        events = decoded
        if events is None or len(events) != len(bodies):
            try:
                events = [Event.FromString(body) for body in bodies]
            except DecodeError:
                events = [Admission.event(body, index) for index, body in enumerate(bodies)]
        check_batch_content(events)
        return events
