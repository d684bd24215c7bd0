"""A small test client for a broker process: HTTP login, gRPC stubs, event builders."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import grpc

from embedded_broker.proto.admin.v1 import admin_pb2_grpc
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2, ensign_pb2_grpc, topic_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, EventWrapper, Type
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from tests.serve_process import BrokerProcess


def login(auth_url: str, key: dict[str, str]) -> str:
    """Authenticate as pyensign does (JSON body, form content type); return the access token."""
    body = json.dumps({"client_id": key["client_id"], "client_secret": key["client_secret"]})
    request = urllib.request.Request(
        f"{auth_url}/v1/authenticate", data=body.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        token: str = json.load(reply)["access_token"]
    return token


@dataclass
class Client:
    """Stubs bound to one broker and one access token."""

    channel: grpc.Channel
    ensign: ensign_pb2_grpc.EnsignStub
    admin: admin_pb2_grpc.BrokerAdminStub
    token: str

    @property
    def auth(self) -> list[tuple[str, str]]:
        """The call metadata carrying the token."""
        return [("authorization", f"Bearer {self.token}")]

    def create_topic(self, name: str) -> topic_pb2.Topic:
        """Create a topic; return it."""
        topic: topic_pb2.Topic = self.ensign.CreateTopic(
            topic_pb2.Topic(name=name), metadata=self.auth
        )
        return topic

    def publish(
        self, topic_id: bytes, wrappers: list[EventWrapper], timeout: float = 60
    ) -> list[ensign_pb2.PublisherReply]:
        """Open a Publish stream, send the events, return the ready reply and every ack/nack."""

        def requests() -> Iterator[ensign_pb2.PublisherRequest]:
            yield ensign_pb2.PublisherRequest(open_stream=ensign_pb2.OpenStream(client_id="t"))
            for wrapper in wrappers:
                yield ensign_pb2.PublisherRequest(event=wrapper)

        replies = []
        call = self.ensign.Publish(requests(), metadata=self.auth, timeout=timeout)
        for reply in call:
            replies.append(reply)
            if len(replies) == len(wrappers) + 1:
                call.cancel()
                break
        return replies

    def close(self) -> None:
        """Close the channel."""
        self.channel.close()


def connect(broker: BrokerProcess, key: dict[str, str]) -> Client:
    """A client of ``broker`` logged in with ``key``."""
    channel = grpc.insecure_channel(
        broker.grpc_address,
        options=[("grpc.max_send_message_length", 16 * 1024 * 1024)],
    )
    return Client(
        channel,
        ensign_pb2_grpc.EnsignStub(channel),
        admin_pb2_grpc.BrokerAdminStub(channel),
        login(broker.auth_url, key),
    )


def event(
    data: bytes | str = b"hello",
    metadata: dict[str, str] | None = None,
    mimetype: int = mimetype_pb2.APPLICATION_OCTET_STREAM,
    type_name: str = "Generic",
) -> Event:
    """An ``ensign.v1beta1.Event``."""
    raw = data.encode() if isinstance(data, str) else data
    return Event(data=raw, metadata=metadata or {}, mimetype=mimetype, type=Type(name=type_name))


def wrap(topic_id: bytes, ev: Event | bytes) -> EventWrapper:
    """Wrap an event as pyensign does: a fresh 16-byte local id, the topic id, the event."""
    body = ev if isinstance(ev, bytes) else ev.SerializeToString()
    return EventWrapper(local_id=os.urandom(16), topic_id=topic_id, event=body)


class Subscriber:
    """A Subscribe stream driven from a test: events arrive on a queue, acks go out on another."""

    def __init__(
        self,
        client: Client,
        topics: list[str],
        group: str | None = None,
        query: str | None = None,
        delivery_timeout_s: float | None = None,
    ) -> None:
        subscription = ensign_pb2.Subscription(client_id="test", topics=topics)
        if query:
            subscription.query.query = query
        if group is not None:
            subscription.group.name = group
            if delivery_timeout_s is not None:
                subscription.group.delivery_timeout.FromMilliseconds(int(delivery_timeout_s * 1000))
        self._requests: queue.Queue[ensign_pb2.SubscribeRequest | None] = queue.Queue()
        self._requests.put(ensign_pb2.SubscribeRequest(subscription=subscription))
        self.call = client.ensign.Subscribe(iter(self._requests.get, None), metadata=client.auth)
        self._events: queue.Queue[EventWrapper | BaseException | None] = queue.Queue()
        replies = iter(self.call)
        first = next(replies)
        assert first.WhichOneof("embed") == "ready", first
        self.ready = first.ready
        self._reader = threading.Thread(target=self._read, args=(replies,), daemon=True)
        self._reader.start()

    def _read(self, replies: Iterator[ensign_pb2.SubscribeReply]) -> None:
        try:
            for reply in replies:
                self._events.put(reply.event)
        except grpc.RpcError as exc:
            self._events.put(exc)
        self._events.put(None)

    def take(self, count: int, timeout: float = 15.0) -> list[EventWrapper]:
        """The next ``count`` events (fewer if ``timeout`` passes first)."""
        taken: list[EventWrapper] = []
        deadline = time.monotonic() + timeout
        while len(taken) < count:
            try:
                item = self._events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None or isinstance(item, BaseException):
                break
            taken.append(item)
        return taken

    def ack(self, *events: EventWrapper) -> None:
        """Acknowledge events."""
        for ev in events:
            self._requests.put(ensign_pb2.SubscribeRequest(ack=ensign_pb2.Ack(id=ev.id)))

    def nack(self, *events: EventWrapper) -> None:
        """Refuse events (they are delivered again)."""
        for ev in events:
            self._requests.put(
                ensign_pb2.SubscribeRequest(
                    nack=ensign_pb2.Nack(id=ev.id, code=ensign_pb2.Nack.UNPROCESSED)
                )
            )

    def close(self) -> None:
        """End the stream as pyensign does (cancel)."""
        self._requests.put(None)
        self.call.cancel()
