"""The broker's background rounds: group redelivery and offsets, and metrics samples."""

from __future__ import annotations

import asyncio
import logging
import time

from embedded_broker.engine.broker import Broker
from embedded_broker.engine.metrics import take_sample

log = logging.getLogger(__name__)

GROUPS_EVERY_S = 0.25
"""How often timed-out group deliveries go back for redelivery and acked offsets are saved."""
METRICS_EVERY_S = 1.0
"""The metrics sample interval, aligned to whole seconds of the monotonic clock."""


async def keep_groups(broker: Broker) -> None:
    """Redeliver timed-out events and save group offsets, a few times a second, forever.

    A crash loses at most the last round's acks: those events are delivered again
    (at-least-once), never lost.
    """
    while True:
        await asyncio.sleep(GROUPS_EVERY_S)
        try:
            woken = broker.groups.expire()
            if woken:
                broker.signals.wake(woken)
            await broker.groups.save()
        except Exception:
            log.exception("consumer group housekeeping failed")


async def keep_metrics(broker: Broker) -> None:
    """Take a metrics sample every second, forever."""
    while True:
        try:
            take_sample(broker)
        except Exception:
            log.exception("sampling metrics failed")
        await asyncio.sleep(METRICS_EVERY_S - (time.monotonic() % METRICS_EVERY_S))
