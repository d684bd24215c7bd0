"""The producer's generator on a NATS JetStream cluster, against nats-py's own publish loop.

A three-node cluster on loopback (Debian's ``nats-server``), with an R1 and an R3 stream. For
each stream, in the same run:

- Baseline: nats-py's ``publish_async`` in a loop (at most ``WINDOW`` publishes awaiting their
  PubAck), then awaiting every ack: messages of the same payload and headers as the generator's,
  pre-built, so nothing is measured but the client and the cluster.
- Figure: the workbench's event generator (``workbench.models.event_generator``) publishing
  pre-encoded Ensign events through ``JetStreamClient.publish_encoded`` with its own defaults
  (batches of ``BATCH`` = 1,000 events, ``IN_FLIGHT`` = 4 batches awaiting their acks),
  each event decoded into a payload and headers with a ``Nats-Msg-Id``, every PubAck counted.
  Rates are acknowledged events per second.

Sizes: ``BENCH_JETSTREAM_EVENTS`` (default 30,000 per measurement).
"""

from __future__ import annotations

import asyncio
import os
import time

import nats

from bench.report import Row
from tests.nats_cluster import NatsCluster
from workbench.client.broker_client import encode_event
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_headers import event_headers
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.records import NewEvent
from workbench.models.event_generator import EventGenerator, GeneratorSettings
from workbench.models.rate_shapes import RateShape

NAME = "jetstream"
EVENTS = int(os.environ.get("BENCH_JETSTREAM_EVENTS", "30000"))
_DEFAULTS = GeneratorSettings(b"")
BATCH = _DEFAULTS.batch_max
IN_FLIGHT = _DEFAULTS.in_flight
WINDOW = BATCH * IN_FLIGHT
"""The baseline's publishes awaiting an ack at once: as many as the generator's."""


def _event(n: int) -> NewEvent:
    body = f'{{"id": {n}, "customer": "Ada Lovelace", "total": 123.45, "region": "eu"}}'
    return NewEvent(body.encode(), 50, "Order", "1.0.0", {"region": "eu"})


async def _baseline(urls: list[str], subject: str) -> float:
    """nats-py's publish_async loop: acknowledged messages per second."""
    from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event

    sample = Event.FromString(encode_event(_event(0)))
    payload = sample.data
    nc = await nats.connect(urls)
    try:
        js = nc.jetstream(publish_async_max_pending=WINDOW)
        started = time.perf_counter()
        futures = []
        for n in range(EVENTS):
            headers = event_headers(sample, f"base-{subject}-{n}")
            futures.append(await js.publish_async(subject, payload, headers=headers))
        await asyncio.gather(*futures)
        return EVENTS / (time.perf_counter() - started)
    finally:
        await nc.close()


async def _generator(urls: list[str], stream: str) -> float:
    """The event generator through the JetStream client: acknowledged events per second."""
    encoded = [encode_event(_event(n)) for n in range(EVENTS)]
    position = [0]

    def source(n: int) -> list[bytes]:
        start = position[0]
        position[0] += n
        return encoded[start : start + n]

    client = JetStreamClient(JetStreamSettings(tuple(urls)))
    await client.login()
    try:
        settings = GeneratorSettings(
            stream.encode(),
            count=EVENTS,
            shape=RateShape(),
            batch_max=BATCH,
            in_flight=IN_FLIGHT,
        )
        stats = await EventGenerator(client, source, settings).run()
        if stats.acked != EVENTS:
            raise RuntimeError(f"the generator's run ended with {stats}")
        return stats.events_per_s
    finally:
        await client.close()


async def _measure(cluster: NatsCluster) -> list[Row]:
    rows = []
    client = JetStreamClient(JetStreamSettings(tuple(cluster.urls)))
    await client.login()
    try:
        for replicas in (1, 3):
            for prefix in ("base", "gen"):
                await client.create_topic(f"{prefix}-r{replicas}", replicas=replicas)
    finally:
        await client.close()
    for replicas in (1, 3):
        baseline = await _baseline(cluster.urls, f"base-r{replicas}")
        figure = await _generator(cluster.urls, f"gen-r{replicas}")
        rows.append(
            Row(
                f"jetstream generator, R{replicas} stream ({EVENTS:,} events)",
                figure,
                "events/s",
                baseline,
                "nats-py publish_async loop",
                "",
            )
        )
    return rows


def run() -> list[Row]:
    """Start a cluster, measure, stop it."""
    cluster = NatsCluster.start(3)
    try:
        return asyncio.run(_measure(cluster))
    finally:
        cluster.stop()
