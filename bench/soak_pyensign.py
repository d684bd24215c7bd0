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

IN_FLIGHT = 64


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
    """Publish in one task, as an application does, with up to ``IN_FLIGHT`` events unacked;
    acks come in order, so the oldest event's ack is awaited when the window is full."""
    ens = client(cfg)
    await ens.ensure_topic_exists(cfg["topic"])
    began, errors = time.monotonic(), []
    acked = nacked = 0
    latencies: list[float] = []
    next_report = began + cfg["interval"]
    window: deque[tuple[Event, float]] = deque()
    seq = 0

    async def settle_oldest() -> None:
        nonlocal acked, nacked
        event, sent = window.popleft()
        try:
            await asyncio.wait_for(event.wait_for_ack(), 30)
            acked += 1
            latencies.append((time.monotonic() - sent) * 1000)
        except Exception as exc:
            nacked += 1
            if len(errors) < 5:
                errors.append(repr(exc))

    while time.monotonic() - began < cfg["seconds"]:
        body = json.dumps({"seq": seq, "pad": "x" * random.randint(50, 400)}).encode()
        event = Event(body, "application/json", meta={"seq": str(seq)})
        window.append((event, time.monotonic()))
        await ens.publish(cfg["topic"], event)
        seq += 1
        while len(window) >= IN_FLIGHT:
            await settle_oldest()
        if time.monotonic() >= next_report:
            sample = latencies[:: max(1, len(latencies) // 500)]
            emit(
                {
                    "t": round(time.monotonic() - began, 1),
                    "acked": acked,
                    "nacked": nacked,
                    "latencies_ms": [round(x, 2) for x in sample],
                }
            )
            acked = nacked = 0
            latencies = []
            next_report += cfg["interval"]
    while window:
        await settle_oldest()
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
