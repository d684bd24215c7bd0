"""A topic built for the profile tests, whose figures and drift offsets are known exactly.

Offsets 1-60 are JSON orders, published in four batches (1-20, 21-30, 31-40, 41-60) so that the
commit time of each drift's offset is known; 61 is plain text and 62 a JSON array.

- ``id``: the offset (1 to 60, mean 30.5).
- ``amount``: offset * 2 up to 30 (2 to 60, mean 31), then a string: drift ``type`` at 31.
- ``region``: ``us`` at multiples of 3 (20), else ``eu`` (40).
- ``score``: null at multiples of 5 (12), else offset / 2 (0.5 to 29.5, mean 15).
- ``note``: in 1-20 only: drift ``disappeared`` at 21.
- ``coupon``: ``SAVE10`` from 41 on: drift ``appeared`` at 41.
"""

from __future__ import annotations

import json

from workbench.client.broker_client import BrokerClient
from workbench.client.broker_rules import APPLICATION_JSON, TEXT_PLAIN
from workbench.client.records import NewEvent

BATCHES = ((1, 20), (21, 30), (31, 40), (41, 60))


def order(offset: int) -> dict[str, object]:
    """The order at ``offset`` (1-60)."""
    body: dict[str, object] = {
        "id": offset,
        "amount": offset * 2 if offset <= 30 else f"{offset}.00",
        "region": "us" if offset % 3 == 0 else "eu",
        "score": None if offset % 5 == 0 else offset / 2,
    }
    if offset <= 20:
        body["note"] = "first"
    if offset > 40:
        body["coupon"] = "SAVE10"
    return body


def orders_json(*offsets: int) -> list[NewEvent]:
    """The orders at ``offsets``, as events to publish."""
    return [NewEvent(json.dumps(order(n)).encode(), APPLICATION_JSON) for n in offsets]


async def build_orders(client: BrokerClient, name: str = "orders") -> tuple[bytes, dict[str, int]]:
    """Create and fill the topic; return its id and each batch's commit time by its first
    offset (``"21"`` → the commit time of offsets 21-30)."""
    topic_id = await client.create_topic(name)
    committed = {}
    for first, last in BATCHES:
        result = await client.publish(topic_id, orders_json(*range(first, last + 1)))
        assert result.first_offset == first
        committed[str(first)] = result.committed_ms
    await client.publish(
        topic_id, [NewEvent(b"hello", TEXT_PLAIN), NewEvent(b"[1, 2]", APPLICATION_JSON)]
    )
    return topic_id, committed
