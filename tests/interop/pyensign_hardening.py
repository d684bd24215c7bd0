"""Hardening scenarios the unmodified pyensign plays against a live broker (its own interpreter).

    python pyensign_hardening.py <largest|group_join|query> '<json config>'

Each prints one JSON object: what the SDK observed (see ``pyensign_scenarios.py`` for the
conventions). ``test_pyensign_hardening.py`` judges it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any

from pyensign.api.v1beta1.groups_pb2 import ConsumerGroup
from pyensign.events import Event
from pyensign_scenarios import (
    STEP_TIMEOUT_S,
    Consumer,
    attempt,
    client,
    close,
    markers_until_seen,
    meta,
    play,
    run_query,
    wait_until,
)


def sized_event(size: int, label: str) -> Event:
    """An event whose encoded ``ensign.v1beta1.Event`` is exactly ``size`` bytes."""
    probe = Event(b"z", mimetype="application/octet-stream", meta={"phase": label})
    # The probe's data field is 1 + 1 + 1 bytes; a ~4 MiB one takes 1 + 4 + its length.
    length = size - len(probe.proto().SerializeToString()) + 3 - 5
    event = Event(b"z" * length, mimetype="application/octet-stream", meta={"phase": label})
    assert len(event.proto().SerializeToString()) == size, "adjust the data field's framing"
    return event


async def scenario_largest(cfg: dict[str, Any], out: dict[str, Any]) -> None:
    """The largest event the broker admits reaches pyensign by subscription and by query; one
    byte more is refused at publish."""
    topic, size = cfg["topic"], cfg["max_event_size"]
    ens, reader = client(cfg, cfg["key"]), client(cfg, cfg["key"])
    await ens.ensure_topic_exists(topic)
    consumer = Consumer(reader, topic)
    await markers_until_seen(ens, topic, consumer, "live")
    largest = sized_event(size, "largest")
    out["sent"] = len(largest.proto().SerializeToString())
    await ens.publish(topic, largest)
    out["ack"] = await attempt(largest.wait_for_ack())
    await wait_until(lambda: bool(consumer.phase("largest")), STEP_TIMEOUT_S)
    out["subscribed"] = [len(e.proto().SerializeToString()) for e in consumer.phase("largest")]
    out["subscriber_error"] = consumer.error
    out["query"] = await run_query(ens, {"query": f"SELECT * FROM {topic} WHERE phase = 'largest'"})
    cursor = await ens.query(f"SELECT * FROM {topic} WHERE phase = 'largest'")
    rows = await cursor.fetchall()
    out["queried"] = [len(row.proto().SerializeToString()) for row in rows]
    over = sized_event(size + 1, "over")
    await ens.publish(topic, over)
    out["over"] = await attempt(over.wait_for_ack())
    await consumer.stop(reader)
    await close(ens)


async def scenario_group_join(cfg: dict[str, Any], out: dict[str, Any]) -> None:
    """Four fresh clients join a new consumer group at the same moment and ack every event at
    once, as four replicas of a new service do: each event reaches one of them."""
    topic, trials, count = cfg["topic"], cfg["trials"], cfg["events"]
    publisher = client(cfg, cfg["key"])
    await publisher.ensure_topic_exists(topic)
    out["trials"] = []
    for trial in range(trials):
        group = ConsumerGroup(name=f"{cfg['group']}-{trial}")
        members = [client(cfg, cfg["key"]) for _ in range(4)]
        consumers = [Consumer(m, topic, group=group) for m in members]
        # Markers until one member has one: every member's stream is open by then.
        first = await markers_until_seen(publisher, topic, _Any(consumers), f"live-{trial}")
        await asyncio.sleep(0.5)
        phase = f"work-{trial}"
        events = [
            Event(f"job {i}".encode(), "text/plain", meta={"phase": phase, "seq": str(i)})
            for i in range(count)
        ]
        for event in events:
            await publisher.publish(topic, event)
        for event in events:
            await asyncio.wait_for(event.wait_for_ack(), STEP_TIMEOUT_S)

        def delivered() -> list[str]:
            return [meta(e)["seq"] for c in consumers for e in c.phase(phase)]  # noqa: B023

        await wait_until(lambda: len(set(delivered())) >= count, STEP_TIMEOUT_S)
        await asyncio.sleep(1.5)  # a second delivery would have come by now
        seen = Counter(delivered())
        out["trials"].append(
            {
                "markers": first,
                "distinct": len(seen),
                "twice": sum(1 for n in seen.values() if n > 1),
                "per_member": [len(c.phase(phase)) for c in consumers],
                "errors": [c.error for c in consumers if c.error],
            }
        )
        for consumer, member in zip(consumers, members, strict=True):
            await consumer.stop(member)
    await close(publisher)


class _Any:
    """Consumers seen as one, for ``markers_until_seen``."""

    def __init__(self, consumers: list[Consumer]) -> None:
        self._consumers = consumers

    @property
    def error(self) -> dict[str, Any] | None:
        return next((c.error for c in self._consumers if c.error), None)

    def phase(self, name: str) -> list[Event]:
        return [e for c in self._consumers for e in c.phase(name)]


async def scenario_query(cfg: dict[str, Any], out: dict[str, Any]) -> None:
    """Queries of a topic, each as pyensign's cursor reads it."""
    ens = client(cfg, cfg["key"])
    out["queries"] = {spec["label"]: await run_query(ens, spec) for spec in cfg["queries"]}
    await close(ens)


SCENARIOS = {
    "largest": scenario_largest,
    "group_join": scenario_group_join,
    "query": scenario_query,
}


if __name__ == "__main__":
    asyncio.run(play(sys.argv[1], json.loads(sys.argv[2]), SCENARIOS))
