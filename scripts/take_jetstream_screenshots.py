"""Take the README's NATS JetStream screenshots from the real application on a real cluster.

Starts a three-node JetStream cluster on loopback (Debian's ``nats-server``), runs the workbench
offscreen in a temporary home with a "NATS JetStream" profile for it, fills an R3 and an R1
stream, keeps them publishing (with a durable consumer that falls behind) and saves the topic
browser, the event table and the charts to ``resources/screenshots/jetstream-*.png``.

    python scripts/take_jetstream_screenshots.py [--seconds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nats  # noqa: E402
from nats.js import api as js_api  # noqa: E402

from scripts.take_screenshots import OUT, run_in_workbench, save, until  # noqa: E402
from tests.nats_cluster import NatsCluster  # noqa: E402
from workbench.app.parts import Workbench  # noqa: E402
from workbench.client.stream_client import StreamClient  # noqa: E402
from workbench.models.profiles import NATS_JETSTREAM, Profile  # noqa: E402
from workbench.models.sample_data import GENERATORS  # noqa: E402

PROFILE = "team cluster"
STREAMS = {"orders": 3, "sensor-readings": 1}
RATES = {"orders": 60, "sensor-readings": 20}


async def publish_forever(client: StreamClient, streams: dict[str, bytes]) -> None:
    """Keep both streams publishing at a wandering rate."""
    rng = random.Random(7)
    counters = dict.fromkeys(streams, 2001)
    while True:
        for name, topic_id in streams.items():
            count = max(1, int(RATES[name] * rng.uniform(0.5, 1.5) / 4))
            await client.publish(topic_id, GENERATORS[name](count, rng, counters[name]))
            counters[name] += count
        await asyncio.sleep(0.25)


async def consume_slowly(urls: list[str]) -> None:
    """A durable consumer of orders that keeps up with only part of the flow (its lag grows)."""
    nc = await nats.connect(urls)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            "orders",
            durable="billing",
            stream="orders",
            config=js_api.ConsumerConfig(ack_policy=js_api.AckPolicy.EXPLICIT),
        )
        while True:
            for msg in await sub.fetch(5, timeout=5):
                await msg.ack()
            await asyncio.sleep(0.25)
    finally:
        await nc.close()


async def scenario(parts: Workbench, cluster: NatsCluster, seconds: float) -> None:
    window, session = parts.window, parts.session
    parts.profiles.save(
        Profile(PROFILE, kind=NATS_JETSTREAM, nats_servers=",".join(cluster.urls)), ""
    )
    window._fill_profiles()
    window.switch_to(PROFILE)
    await until(lambda: session.client is not None)
    client = session.client
    assert client is not None
    rng = random.Random(1)
    streams = {}
    for name, replicas in STREAMS.items():
        streams[name] = await client.create_topic(name, replicas=replicas)
        for start in range(1, 2001, 500):
            await client.publish(streams[name], GENERATORS[name](500, rng, start))
    publisher = asyncio.ensure_future(publish_forever(client, streams))
    consumer = asyncio.ensure_future(consume_slowly(cluster.urls))
    session.refresh_topics()
    await until(lambda: len(session.topics) == len(streams))
    await asyncio.sleep(seconds)

    window.tabs.setCurrentWidget(window.event_split)
    window.topics.select_topic(streams["orders"])
    await asyncio.sleep(1.5)
    window.events.go_to_offset(1995)
    await asyncio.sleep(1.0)
    save(window, "jetstream-events.png")

    dialog = window.topics.ask_new_topic()
    dialog.name_edit.setText("payments")
    dialog.replicas_box.setValue(3)
    await asyncio.sleep(0.5)
    save(window, "jetstream-browser.png", dialog)
    dialog.reject()

    window.tabs.setCurrentWidget(window.charts)
    window.charts.set_topic_filter(None)
    window.charts.set_window_seconds(60)
    await asyncio.sleep(1.0)
    save(window, "jetstream-charts.png")
    publisher.cancel()
    consumer.cancel()
    await asyncio.gather(publisher, consumer, return_exceptions=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40, help="publishing time for charts")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cluster = NatsCluster.start(3)
    try:
        run_in_workbench(
            lambda parts: scenario(parts, cluster, args.seconds), embedded_broker=False
        )
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
