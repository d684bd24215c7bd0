"""A pyensign client for the soak (``bench/soak.py``), run with pyensign's own interpreter.

    python soak_pyensign.py publish|subscribe '<json config>'

Publishers publish for ``seconds`` and print, every ``interval`` seconds, one JSON line:
``{"t", "acked", "nacked", "latencies_ms"}`` (publish-to-ack of this interval's events, sampled).
Subscribers print ``{"t", "received"}`` lines. Both end with ``{"done": true, "errors": [...]}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import deque
from typing import Any

from pyensign.ensign import Ensign
from pyensign.events import Event

IN_FLIGHT = 8
"""Events a publisher leaves unacknowledged at most (``in_flight`` in the config overrides)."""


def client(cfg: dict[str, Any]) -> Ensign:
    # The key comes from ENSIGN_CLIENT_ID / ENSIGN_CLIENT_SECRET, never the command line.
    return Ensign(
        endpoint=cfg["endpoint"],
        insecure=True,
        auth_url=cfg["auth_url"],
    )


def emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


async def publish(cfg: dict[str, Any]) -> None:
    """Publish in one task, as an application does, with up to ``in_flight`` events unacked.

    Latency is taken in pyensign's ``on_ack`` callback, which runs as the ack arrives (its
    ``wait_for_ack`` polls every 100 ms); one stream's acks come in publish order.
    """
    ens = client(cfg)
    await ens.ensure_topic_exists(cfg["topic"])
    began, errors = time.monotonic(), []
    counts = {"acked": 0, "nacked": 0}
    latencies: list[float] = []
    next_report = began + cfg["interval"]
    sent: deque[float] = deque()
    settled = asyncio.Event()
    in_flight = cfg.get("in_flight", IN_FLIGHT)

    async def on_ack(ack: Any) -> None:
        latencies.append((time.monotonic() - sent.popleft()) * 1000)
        counts["acked"] += 1
        settled.set()

    async def on_nack(nack: Any) -> None:
        sent.popleft()
        counts["nacked"] += 1
        if len(errors) < 5:
            errors.append(f"nack {nack.code}: {nack.error}")
        settled.set()

    seq = 0
    while time.monotonic() - began < cfg["seconds"]:
        body = json.dumps({"seq": seq, "pad": "x" * random.randint(50, 400)}).encode()
        event = Event(body, "application/json", meta={"seq": str(seq)})
        sent.append(time.monotonic())
        await ens.publish(cfg["topic"], event, on_ack=on_ack, on_nack=on_nack)
        seq += 1
        while len(sent) >= in_flight:
            settled.clear()
            await asyncio.wait_for(settled.wait(), 30)
        if time.monotonic() >= next_report:
            sample = latencies[:: max(1, len(latencies) // 500)]
            emit(
                {
                    "t": round(time.monotonic() - began, 1),
                    **counts,
                    "latencies_ms": [round(x, 2) for x in sample],
                }
            )
            counts.update(acked=0, nacked=0)
            latencies = []
            next_report += cfg["interval"]
    deadline = time.monotonic() + 30
    while sent and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if sent:
        errors.append(f"{len(sent)} events never acknowledged")
    emit({"done": True, "errors": errors})
    await ens.close()


async def subscribe(cfg: dict[str, Any]) -> None:
    ens = client(cfg)
    await ens.ensure_topic_exists(cfg["topic"])
    began, received, errors = time.monotonic(), 0, []
    next_report = began + cfg["interval"]

    async def run() -> None:
        nonlocal received, next_report
        async for event in ens.subscribe(cfg["topic"]):
            await event.ack()
            received += 1
            if time.monotonic() >= next_report:
                emit({"t": round(time.monotonic() - began, 1), "received": received})
                received = 0
                next_report += cfg["interval"]

    try:
        await asyncio.wait_for(run(), cfg["seconds"] + 5)
    except TimeoutError:
        pass
    except Exception as exc:
        errors.append(repr(exc))
    emit({"done": True, "errors": errors})
    os._exit(0)  # pyensign's background reconnects must not hold the process


if __name__ == "__main__":
    mode, config = sys.argv[1], json.loads(sys.argv[2])
    asyncio.run(publish(config) if mode == "publish" else subscribe(config))
    os._exit(0)
