"""Realistic demo events: orders (JSON), sensor readings (CSV), logs (text), frames (binary)."""

from __future__ import annotations

import json
import random
import struct

from workbench.client.broker_rules import (
    APPLICATION_JSON,
    APPLICATION_OCTET_STREAM,
    TEXT_CSV,
    TEXT_PLAIN,
)
from workbench.client.records import NewEvent

REGIONS = ("eu-west", "us-east", "ap-south")
PRODUCTS = ("widget", "gadget", "sprocket", "flange", "gizmo")
LEVELS = ("INFO", "INFO", "INFO", "WARN", "ERROR")


def orders(count: int, rng: random.Random, start: int = 1) -> list[NewEvent]:
    """JSON order events with a region and a customer tier in their metadata."""
    events = []
    for n in range(start, start + count):
        region = rng.choice(REGIONS)
        vip = rng.random() < 0.1
        body = {
            "order_id": f"ord-{n:06d}",
            "product": rng.choice(PRODUCTS),
            "quantity": rng.randint(1, 9),
            "total": round(rng.uniform(5, 500), 2),
            "customer": {"id": f"cus-{rng.randint(1, 400):04d}", "vip": vip},
        }
        events.append(
            NewEvent(
                json.dumps(body).encode(),
                APPLICATION_JSON,
                "Order",
                "1.2.0",
                {"region": region, "tier": "gold" if vip else "standard"},
            )
        )
    return events


def readings(count: int, rng: random.Random, start: int = 1) -> list[NewEvent]:
    """CSV sensor readings."""
    events = []
    for n in range(start, start + count):
        sensor = f"s-{rng.randint(1, 12):02d}"
        rows = ["sensor,celsius,humidity"] + [
            f"{sensor},{rng.gauss(21, 3):.2f},{rng.uniform(30, 70):.1f}" for _ in range(3)
        ]
        events.append(
            NewEvent(
                "\n".join(rows).encode(),
                TEXT_CSV,
                "Reading",
                "2.0.0",
                {"sensor": sensor, "seq": str(n)},
            )
        )
    return events


def log_lines(count: int, rng: random.Random, start: int = 1) -> list[NewEvent]:
    """Plain-text log lines."""
    events = []
    for n in range(start, start + count):
        level = rng.choice(LEVELS)
        text = (
            f"{level} checkout[{rng.randint(100, 999)}] request {n} took {rng.randint(3, 900)} ms"
        )
        events.append(NewEvent(text.encode(), TEXT_PLAIN, "LogLine", "1.0.0", {"level": level}))
    return events


def frames(count: int, rng: random.Random, start: int = 1) -> list[NewEvent]:
    """Small binary telemetry frames."""
    events = []
    for n in range(start, start + count):
        payload = struct.pack(">IHf", n, rng.randint(0, 65535), rng.uniform(-1, 1)) + bytes(
            rng.getrandbits(8) for _ in range(20)
        )
        events.append(
            NewEvent(
                payload,
                APPLICATION_OCTET_STREAM,
                "Frame",
                "0.3.1",
                {"device": f"dev-{n % 4}"},
            )
        )
    return events


GENERATORS = {
    "orders": orders,
    "sensor-readings": readings,
    "app-logs": log_lines,
    "telemetry": frames,
}
"""Topic name -> generator, for demos and screenshots."""
