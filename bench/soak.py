"""The soak: a real broker under several unmodified pyensign publishers and subscribers, a batched
publisher and a stalled subscriber, for minutes, on loopback.

    python bench/soak.py [--minutes 3] [--interval 10] [--in-flight 8]

Every interval it prints the broker's memory (RSS), the pyensign publishers' acknowledged events/s
and publish-to-ack latency (p50, p99), the batched publisher's events/s and what the subscribers
received; at the end, the memory's drift (the last third of the run against the first) and every
error. The stalled subscriber opens a stream and never reads it: gRPC's flow control holds it, so
the broker keeps at most one batch of its events (``engine.subscriptions.BATCH``), and it must
slow no publisher.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1 import ensign_pb2
from tests.api.client import Client, connect, event
from tests.interop.pyensign_env import pyensign_python
from tests.serve_process import BrokerProcess, create_key, start_broker

CLIENT = Path(__file__).with_name("soak_pyensign.py")
PUBLISHERS = 3
BATCH_EVENTS = 500
BATCH_PAUSE_S = 0.1  # ~5,000 events/s from the batched publisher


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reader(name: str, process: subprocess.Popen[str], lines: queue.Queue[tuple[str, Any]]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put((name, json.loads(line)))


def _batched(client: Client, topic_id: bytes, stop: threading.Event, counts: list[int]) -> None:
    body = event(b'{"batch": true, "pad": "' + b"y" * 200 + b'"}').SerializeToString()
    request = admin_pb2.PublishBatchRequest(topic_id=topic_id, events=[body] * BATCH_EVENTS)
    while not stop.is_set():
        client.admin.PublishBatch(request, metadata=client.auth, timeout=30)
        counts[0] += BATCH_EVENTS
        stop.wait(BATCH_PAUSE_S)


def _stalled(client: Client, topic: str, stop: threading.Event) -> None:
    """Subscribe, read the ready message, then never read again."""
    subscription = ensign_pb2.Subscription(client_id="stalled", topics=[topic])
    requests = iter([ensign_pb2.SubscribeRequest(subscription=subscription)])
    call = client.ensign.Subscribe(requests, metadata=client.auth)
    next(iter(call))
    stop.wait()
    call.cancel()


def soak(minutes: float, interval: float, in_flight: int) -> int:
    seconds = minutes * 60
    with tempfile.TemporaryDirectory(prefix="soak-") as temp:
        broker: BrokerProcess = start_broker(Path(temp) / "broker")
        key = create_key(broker.data_dir, "soak", "all")
        client = connect(broker, key)
        topics = [client.create_topic(f"soak-{i}") for i in range(PUBLISHERS)]
        batch_topic = client.create_topic("soak-batch")
        base = {
            "endpoint": broker.grpc_address,
            "auth_url": broker.auth_url,
            "seconds": seconds,
            "interval": interval,
            "in_flight": in_flight,
        }
        python = str(pyensign_python())
        credentials = {
            "ENSIGN_CLIENT_ID": key["client_id"],
            "ENSIGN_CLIENT_SECRET": key["client_secret"],
        }
        lines: queue.Queue[tuple[str, Any]] = queue.Queue()
        children: list[subprocess.Popen[str]] = []
        for index, topic in enumerate(topics):
            for mode in ("subscribe", "publish"):
                cfg = {**base, "topic": topic.name}
                child = subprocess.Popen(
                    [python, str(CLIENT), mode, json.dumps(cfg)],
                    stdout=subprocess.PIPE,
                    text=True,
                    env={**os.environ, **credentials},
                )
                children.append(child)
                name = f"{mode}-{index}"
                threading.Thread(target=_reader, args=(name, child, lines), daemon=True).start()
            if mode == "subscribe":
                time.sleep(0.5)
        stop = threading.Event()
        batched = [0]
        threads = [
            threading.Thread(target=_batched, args=(client, batch_topic.id, stop, batched)),
            threading.Thread(target=_stalled, args=(client, topics[0].name, stop)),
        ]
        for thread in threads:
            thread.start()
        began = time.monotonic()
        rows: list[dict[str, float]] = []
        per_interval: dict[int, dict[str, Any]] = defaultdict(
            lambda: {"acked": 0, "nacked": 0, "lat": [], "received": 0}
        )
        errors: list[str] = []
        done = 0
        last_batched, next_sample = 0, began + interval
        print(
            f"{'t (s)':>6} {'RSS MiB':>8} {'pyensign ev/s':>14} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'batched ev/s':>13} {'received ev/s':>14}",
            flush=True,
        )
        while done < len(children):
            try:
                name, doc = lines.get(timeout=1)
            except queue.Empty:
                doc = None
            if doc is not None:
                if doc.get("done"):
                    done += 1
                    errors += [f"{name}: {e}" for e in doc["errors"]]
                else:
                    slot = per_interval[int(doc["t"] // interval)]
                    slot["acked"] += doc.get("acked", 0)
                    slot["nacked"] += doc.get("nacked", 0)
                    slot["lat"] += doc.get("latencies_ms", [])
                    slot["received"] += doc.get("received", 0)
            now = time.monotonic()
            if now >= next_sample and now - began <= seconds + interval:
                number = int((now - began) // interval) - 1
                slot = per_interval[number]
                lat = sorted(slot["lat"]) or [0.0]
                row = {
                    "t": round(now - began),
                    "rss": rss_mib(broker.process.pid),
                    "acked": slot["acked"] / interval,
                    "p50": statistics.median(lat),
                    "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                    "batched": (batched[0] - last_batched) / interval,
                    "received": slot["received"] / interval,
                }
                last_batched = batched[0]
                rows.append(row)
                print(
                    f"{row['t']:>6} {row['rss']:>8.0f} {row['acked']:>14,.0f} {row['p50']:>7.1f} "
                    f"{row['p99']:>7.1f} {row['batched']:>13,.0f} {row['received']:>14,.0f}",
                    flush=True,
                )
                next_sample += interval
        stop.set()
        for thread in threads:
            thread.join(30)
        for child in children:
            child.wait(30)
        client.close()
        code = broker.stop()
        third = max(1, len(rows) // 3)
        early = statistics.mean(r["rss"] for r in rows[1 : third + 1] or rows)
        late = statistics.mean(r["rss"] for r in rows[-third:])
        total_acked = sum(r["acked"] * interval for r in rows)
        print(
            f"\nbroker RSS: first third {early:.0f} MiB, last third {late:.0f} MiB "
            f"(drift {late - early:+.0f} MiB); pyensign events acked {total_acked:,.0f}, "
            f"batched {batched[0]:,}; errors {len(errors)}; broker exit {code}"
        )
        for error in errors[:10]:
            print(f"  error: {error}")
        return 0 if not errors and code == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument(
        "--in-flight", type=int, default=8, help="events each pyensign publisher leaves unacked"
    )
    args = parser.parse_args()
    return soak(args.minutes, args.interval, args.in_flight)


if __name__ == "__main__":
    sys.exit(main())
