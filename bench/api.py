"""The gRPC API: publish throughput through a real ``ensign-broker serve`` process.

Publish stream: Ensign's ``Publish`` bidi stream as pyensign drives it, one event per
``PublisherRequest`` (16-byte local id, topic id, a 256-byte serialized ``Event`` with metadata,
a type and a creation time). The stream is opened, its ``ready`` reply read, then a writer task
sends every event while a reader task collects the acks (no waiting for an ack before the next
send). Figure: events / (first send -> last ack). Baseline: the same client code and messages
against the fastest bare ``grpc.aio`` echo we could write, in a child process: a reader task takes
requests off the wire into a queue while the handler yields an Ack-sized reply (pre-encoded, no
parsing, no storage) for each, a run at a time, as a broker with group commit answers. It beat a
plain ``async for``/``yield`` echo and a queue with ``context.write`` here. Same channel options,
loopback, plaintext.

Batched publish: the admin ``PublishBatch`` call, ``BENCH_API_BATCH_SIZE`` events per call with
``BENCH_API_IN_FLIGHT`` calls in flight; events are acked only after the encrypted, group-committed
write is fsynced. Baseline: the same events published straight into a fresh ``EventStore`` in this
process, in batches of the same size, all submitted at once (as ``bench/store.py`` does).

Sizes: ``BENCH_API_STREAM_EVENTS`` (default 20,000), ``BENCH_API_BATCH_EVENTS`` (300,000),
``BENCH_API_BATCH_SIZE`` (1,000), ``BENCH_API_IN_FLIGHT`` (4), ``BENCH_API_ROUNDS`` (2): each figure
and its baseline are measured in alternate rounds, after a warm-up, and the best round of each is
kept (the host may be busy with other work). Each benchmark starts its own broker in a temporary
data directory and stops it with SIGTERM. The defaults take about a minute on a busy 2-core host;
``BENCH_API_STREAM_EVENTS=10000 BENCH_API_BATCH_EVENTS=100000 BENCH_API_ROUNDS=1`` is a quick run.

Run the echo server alone: ``python -m bench.api --echo-server`` (prints its port).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from bench.report import Row
from embedded_broker.core.ids import new_ulid
from embedded_broker.proto.admin.v1 import admin_pb2, admin_pb2_grpc
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2, ensign_pb2_grpc, topic_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, EventWrapper, Type
from embedded_broker.proto.mimetype.v1beta1.mimetype_pb2 import MIME
from embedded_broker.storage.event_store import EventStore
from tests.serve_process import create_key, start_broker

NAME = "api"
STREAM_EVENTS = int(os.environ.get("BENCH_API_STREAM_EVENTS", "20000"))
BATCH_EVENTS = int(os.environ.get("BENCH_API_BATCH_EVENTS", "300000"))
BATCH_SIZE = int(os.environ.get("BENCH_API_BATCH_SIZE", "1000"))
IN_FLIGHT = int(os.environ.get("BENCH_API_IN_FLIGHT", "4"))
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "2"))
STREAM_WARMUP = 1_000
TIMEOUT_S = 120.0  # a stuck stream or call fails the benchmark instead of hanging it
DATA_BYTES = 210  # with metadata, type and creation time: a 256-byte serialized Event
TOPIC = "bench"
PUBLISH_METHOD = "/ensign.v1beta1.Ensign/Publish"
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
CHANNEL_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
)
ROOT = Path(__file__).resolve().parents[1]

Metadata = tuple[tuple[str, str], ...]


def _events(count: int) -> list[Event]:
    kinds = [Type(name="Reading", major_version=1), Type(name="Alert", major_version=2)]
    events = []
    for i in range(count):
        event = Event(
            data=os.urandom(DATA_BYTES),
            metadata={"sensor": f"s-{i % 50:02d}"},
            mimetype=MIME.APPLICATION_OCTET_STREAM,
            type=kinds[i % 2],
        )
        event.created.GetCurrentTime()
        events.append(event)
    return events


def _stream_requests(topic_id: bytes, count: int) -> list[ensign_pb2.PublisherRequest]:
    return [
        ensign_pb2.PublisherRequest(
            event=EventWrapper(
                topic_id=topic_id, event=event.SerializeToString(), local_id=os.urandom(16)
            )
        )
        for event in _events(count)
    ]


# -- the broker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Broker:
    address: str
    metadata: Metadata


def _authenticate(auth_url: str, client_id: str, client_secret: str) -> str:
    body = json.dumps({"client_id": client_id, "client_secret": client_secret}).encode()
    request = urllib.request.Request(
        f"{auth_url}/v1/authenticate",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    with opener.open(request, timeout=30) as response:
        token: str = json.loads(response.read())["access_token"]
    return token


@contextmanager
def _broker(prefix: str) -> Iterator[_Broker]:
    """A broker in a fresh data directory, with an all-permissions key's bearer token."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        data_dir = Path(tmp) / "data"
        key = create_key(data_dir, "bench", "all")
        broker = start_broker(data_dir)
        try:
            token = _authenticate(broker.auth_url, key["client_id"], key["client_secret"])
            yield _Broker(broker.grpc_address, (("authorization", f"Bearer {token}"),))
        finally:
            broker.stop(signal.SIGTERM)


def _channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)


async def _create_topic(channel: grpc.aio.Channel, metadata: Metadata, name: str) -> bytes:
    stub = ensign_pb2_grpc.EnsignStub(channel)
    topic = await stub.CreateTopic(topic_pb2.Topic(name=name), metadata=metadata)
    topic_id: bytes = topic.id
    return topic_id


# -- publish stream --------------------------------------------------------------------------


async def _publish_stream(
    channel: grpc.aio.Channel,
    metadata: Metadata,
    requests: Sequence[ensign_pb2.PublisherRequest],
) -> float:
    """Open a Publish stream, pipeline ``requests``, wait for every ack; return events/s."""
    call: Any = channel.stream_stream(
        PUBLISH_METHOD,
        request_serializer=ensign_pb2.PublisherRequest.SerializeToString,
        response_deserializer=ensign_pb2.PublisherReply.FromString,
    )(metadata=metadata)
    await call.write(
        ensign_pb2.PublisherRequest(open_stream=ensign_pb2.OpenStream(client_id="bench"))
    )
    ready = await call.read()
    if ready is grpc.aio.EOF or ready.WhichOneof("embed") != "ready":
        raise RuntimeError(f"expected a ready reply, got {ready!r}")
    expected = len(requests)
    acked: list[bytes] = []

    async def write() -> None:
        for request in requests:
            await call.write(request)
        await call.done_writing()

    async def read() -> float:
        while len(acked) < expected:
            reply = await call.read()
            if reply is grpc.aio.EOF:
                raise RuntimeError(f"the stream ended after {len(acked)} of {expected} acks")
            if reply.WhichOneof("embed") != "ack":
                raise RuntimeError(f"expected an ack, got {reply}")
            acked.append(reply.ack.id)
        return time.perf_counter()

    start = time.perf_counter()
    async with asyncio.timeout(TIMEOUT_S):
        _, finished = await asyncio.gather(write(), read())
    elapsed = finished - start
    async with asyncio.timeout(TIMEOUT_S):
        # The status arrives only once every message is read: read the end of the stream.
        if (extra := await call.read()) is not grpc.aio.EOF:
            raise RuntimeError(f"expected the end of the stream, got {extra}")
        code = await call.code()
    if code != grpc.StatusCode.OK:
        raise RuntimeError(f"the stream ended with {code}: {await call.details()}")
    if acked != [request.event.local_id for request in requests]:
        raise RuntimeError("the acks do not match the events sent, in order")
    return expected / elapsed


async def _stream_rounds(echo_address: str, broker: _Broker) -> tuple[float, float]:
    """The best events/s of the echo server and of the broker, measured in alternate rounds."""
    async with _channel(echo_address) as echo, _channel(broker.address) as channel:
        topic_id = await _create_topic(channel, broker.metadata, TOPIC)
        targets = ((echo, (), os.urandom(16)), (channel, broker.metadata, topic_id))
        for target, metadata, topic in targets:
            await _publish_stream(target, metadata, _stream_requests(topic, STREAM_WARMUP))
        best = [0.0, 0.0]
        for _ in range(ROUNDS):
            for i, (target, metadata, topic) in enumerate(targets):
                requests = _stream_requests(topic, STREAM_EVENTS)
                best[i] = max(best[i], await _publish_stream(target, metadata, requests))
        return best[0], best[1]


# -- the echo server (a child process) -------------------------------------------------------


def _echo_replies() -> tuple[bytes, bytes, bytes]:
    """The ready reply, and an ack reply split around its 16-byte id."""
    ready = ensign_pb2.PublisherReply(
        ready=ensign_pb2.StreamReady(client_id="bench", server_id="echo")
    ).SerializeToString()
    marker = b"\xa5" * 16
    ack = ensign_pb2.PublisherReply(ack=ensign_pb2.Ack(id=marker))
    ack.ack.committed.GetCurrentTime()
    template = ack.SerializeToString()
    at = template.index(marker)
    return ready, template[:at], template[at + 16 :]


async def _serve_echo() -> None:
    ready, head, tail = _echo_replies()

    async def publish(requests: AsyncIterator[bytes], context: Any) -> AsyncIterator[bytes]:
        # As a broker with group commit answers: a reader task takes requests off the wire while
        # the replies to everything received so far are written, a run at a time.
        received: collections.deque[bytes] = collections.deque()
        arrived = asyncio.Event()
        finished = False

        async def read() -> None:
            nonlocal finished
            async for request in requests:
                received.append(request)
                arrived.set()
            finished = True
            arrived.set()

        reader = asyncio.create_task(read())
        try:
            yield ready
            first = True
            while True:
                if not received:
                    if finished:
                        return
                    arrived.clear()
                    await arrived.wait()
                    continue
                run = list(received)
                received.clear()
                for request in run:
                    if first:  # the open_stream message
                        first = False
                        continue
                    # A PublisherRequest serializes its event's local_id (field 16) last.
                    yield head + request[-16:] + tail
        finally:
            reader.cancel()

    handler = grpc.method_handlers_generic_handler(
        "ensign.v1beta1.Ensign", {"Publish": grpc.stream_stream_rpc_method_handler(publish)}
    )
    server = grpc.aio.server(
        options=[*CHANNEL_OPTIONS, ("grpc.so_reuseport", 0)], handlers=[handler]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows: terminate() ends it anyway
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(None)


@contextmanager
def _echo_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.api", "--echo-server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip():
            raise RuntimeError(f"the echo server did not start (exit {process.wait(10)})")
        yield f"127.0.0.1:{int(line)}"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(30)


def _publish_stream_rows() -> list[Row]:
    with _echo_server() as address, _broker("bench-api-stream-") as broker:
        echo, published = asyncio.run(_stream_rounds(address, broker))
    return [
        Row(
            "publish stream (1 event/message, durable acks)",
            published,
            "events/s",
            echo,
            "grpc.aio echo process",
            ">= 1.0x",
        )
    ]


# -- batched publish -------------------------------------------------------------------------


def _batches(events: list[Event]) -> list[list[Event]]:
    return [events[i : i + BATCH_SIZE] for i in range(0, len(events), BATCH_SIZE)]


def _store_publish(events: list[Event]) -> float:
    """The store alone, in this process: the same batches, all submitted at once."""
    batches = _batches(events)
    with (
        tempfile.TemporaryDirectory(prefix="bench-api-store-") as tmp,
        EventStore.open(Path(tmp) / "store") as store,
    ):
        topic = store.create_topic(new_ulid(), TOPIC)
        for batch in batches[: 2 * IN_FLIGHT]:  # warm up: these are published twice
            store.publish(topic.id, batch).result()
        start = time.perf_counter()
        futures = [store.publish(topic.id, batch) for batch in batches]
        for future in futures:
            future.result()
        return len(events) / (time.perf_counter() - start)


async def _publish_batches(
    stub: admin_pb2_grpc.BrokerAdminStub,
    metadata: Metadata,
    requests: list[admin_pb2.PublishBatchRequest],
) -> float:
    """Publish every request, ``IN_FLIGHT`` calls at a time; return events/s."""
    pending = iter(requests)
    published = 0

    async def caller() -> None:
        nonlocal published
        for request in pending:
            reply = await stub.PublishBatch(request, metadata=metadata)
            if reply.count != len(request.events) or reply.duplicates:
                raise RuntimeError(f"unexpected reply {reply}")
            published += reply.count

    start = time.perf_counter()
    async with asyncio.timeout(TIMEOUT_S):
        await asyncio.gather(*(caller() for _ in range(IN_FLIGHT)))
    elapsed = time.perf_counter() - start
    if published != sum(len(request.events) for request in requests):
        raise RuntimeError(f"published {published} events")
    return published / elapsed


async def _batch_run(broker: _Broker, events: list[Event], topic: str) -> float:
    async with _channel(broker.address) as channel:
        topic_id = await _create_topic(channel, broker.metadata, topic)
        requests = [
            admin_pb2.PublishBatchRequest(
                topic_id=topic_id, events=[event.SerializeToString() for event in batch]
            )
            for batch in _batches(events)
        ]
        stub = admin_pb2_grpc.BrokerAdminStub(channel)
        await _publish_batches(stub, broker.metadata, requests[: 2 * IN_FLIGHT])  # warm up
        return await _publish_batches(stub, broker.metadata, requests)


def _batched_publish_rows() -> list[Row]:
    events = _events(BATCH_EVENTS)
    store = published = 0.0
    with _broker("bench-api-batch-") as broker:
        for round_ in range(ROUNDS):  # alternate, keep the best of each: the host may be busy
            store = max(store, _store_publish(events))
            published = max(published, asyncio.run(_batch_run(broker, events, f"{TOPIC}-{round_}")))
    return [
        Row(
            f"batched publish ({BATCH_SIZE:,}/call, {IN_FLIGHT} in flight, durable)",
            published,
            "events/s",
            store,
            "EventStore.publish in-process",
            ">= 100,000 events/s",
        )
    ]


def run() -> list[Row]:
    """Measure the API against its baselines; return the rows to print."""
    return [*_publish_stream_rows(), *_batched_publish_rows()]


if __name__ == "__main__":
    if sys.argv[1:] == ["--echo-server"]:
        asyncio.run(_serve_echo())
    else:
        sys.exit(f"usage: python -m {__spec__.name if __spec__ else 'bench.api'} --echo-server")
