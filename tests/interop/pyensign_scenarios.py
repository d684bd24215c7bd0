"""Scenarios the unmodified official SDK (pyensign) plays against a live broker.

Run with pyensign's own interpreter (``tests/interop/pyensign_env.py``), never with ours::

    python pyensign_scenarios.py <main|refusals> '<json config>'

Each scenario prints exactly one JSON object on stdout: what the SDK observed. The pytest side
(``test_pyensign_live.py``) decides what is right. A step that raises is recorded as
``{"error": {"class": ..., "message": ...}}``; an unexpected failure ends the scenario early
with ``"fatal"`` holding the traceback, next to everything observed until then.

The config holds ``endpoint``, ``auth_url`` and the API keys (``client_id``/``client_secret``);
see each scenario for the rest.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
import traceback
from collections import Counter
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from pyensign import mimetypes
from pyensign.api.v1beta1.ensign_pb2 import Nack
from pyensign.api.v1beta1.groups_pb2 import ConsumerGroup
from pyensign.ensign import Ensign
from pyensign.events import Event
from pyensign.exceptions import NackError

STEP_TIMEOUT_S = 30.0
POLL_S = 0.05


# --- helpers -------------------------------------------------------------------------------------


def client(cfg: dict[str, Any], key: dict[str, str], secret: str | None = None) -> Ensign:
    """A new pyensign client (with its own empty topic cache and token cache)."""
    return Ensign(
        client_id=key["client_id"],
        client_secret=key["client_secret"] if secret is None else secret,
        endpoint=cfg["endpoint"],
        insecure=True,
        auth_url=cfg["auth_url"],
    )


def describe(exc: BaseException) -> dict[str, Any]:
    """An exception as the user sees it: its class, message and (for gRPC errors) status."""
    found: dict[str, Any] = {"class": type(exc).__name__, "message": str(exc)}
    for attr in ("name", "code", "details", "error"):
        value = getattr(exc, attr, None)
        if isinstance(value, str | int | float | bool):
            found[attr] = value
    if isinstance(exc, NackError):
        found["code_name"] = Nack.Code.Name(exc.code)
    if exc.__cause__ is not None:
        found["cause"] = type(exc.__cause__).__name__
    return found


async def attempt(awaitable: Any, timeout: float = STEP_TIMEOUT_S) -> dict[str, Any]:
    """Await something expected to fail; return ``{"error": ...}`` or ``{"ok": value}``."""
    try:
        value = await asyncio.wait_for(awaitable, timeout)
    except Exception as exc:
        return {"error": describe(exc)}
    return {"ok": value if isinstance(value, str | int | float | bool | None) else repr(value)}


async def wait_until(predicate: Any, timeout: float) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_S)


async def close(ens: Ensign, timeout: float = 10.0) -> None:
    """Close a client; if that hangs, say where every task was waiting."""
    try:
        await asyncio.wait_for(ens.close(), timeout)
    except TimeoutError:
        stacks = io.StringIO()
        for task in asyncio.all_tasks():
            task.print_stack(limit=6, file=stacks)
        raise TimeoutError(
            f"Ensign.close() took over {timeout} s; tasks:\n{stacks.getvalue()}"
        ) from None


def meta(event: Event) -> dict[str, str]:
    return dict(event.meta or {})


def snapshot(event: Event) -> dict[str, Any]:
    """What must survive the round trip, for a published or a received event."""
    kind = event.type
    return {
        "data": bytes(event.data),
        "mimetype": int(event.mimetype),
        "type": [kind.name, kind.major_version, kind.minor_version, kind.patch_version],
        "meta": meta(event),
        "created": int(event.created.seconds),
    }


# --- the events ----------------------------------------------------------------------------------


def payload(kind: str, seq: int) -> tuple[bytes, str, str]:
    """Data, mimetype and schema name of event ``seq`` of a kind."""
    if kind == "order":
        doc = {"n": seq, "kind": kind, "price": seq * 1.5, "tags": ["a", "é"], "ok": seq % 2 == 0}
        return json.dumps(doc).encode(), "application/json", "Order"
    if kind == "note":
        return f"note {seq}: héllo wörld ✓\nsecond line".encode(), "text/plain", "Note"
    if kind == "blob":
        size = 256 * 1024 if seq % 300 == 2 else 40 + seq % 200
        base = bytes(range(256))
        turn = seq % 256
        data = (base[turn:] + base[:turn]) * (size // 256 + 1)
        return data[:size], "application/octet-stream", "Blob"
    if kind == "row":
        row = f'seq,name,amount\r\n{seq},"row, {seq}",{seq / 4}\r\n'
        return row.encode(), "text/csv", "Row"
    if kind == "tick":
        stamp = Timestamp(seconds=1_700_000_000 + seq, nanos=seq * 1000)
        return stamp.SerializeToString(), "application/protobuf", "Tick"
    if kind == "pack":  # msgpack {"seq": seq}
        return b"\x81\xa3seq\xce" + seq.to_bytes(4, "big"), "application/msgpack", "Pack"
    raise ValueError(f"unknown kind {kind}")


def make_event(cfg: dict[str, Any], seq: int, phase: str) -> Event:
    """Event ``seq``: its kind and version follow the config's lists, as the tests expect."""
    kinds, versions = cfg["kinds"], cfg["versions"]
    kind = kinds[seq % len(kinds)]
    data, mimetype, schema = payload(kind, seq)
    labels = {
        "seq": str(seq),
        "kind": kind,
        "phase": phase,
        "parity": "even" if seq % 2 == 0 else "odd",
        "label": f"évènement {seq}",
    }
    if kind == "order":
        labels["customer"] = f"c{seq % 7}"
    version = versions[(seq // len(kinds)) % len(versions)]
    return Event(data, mimetype=mimetype, schema_name=schema, schema_version=version, meta=labels)


def marker(phase: str, count: int) -> Event:
    return Event(
        json.dumps({"marker": count}).encode(),
        mimetype="application/json",
        schema_name="Marker",
        schema_version="1.0.0",
        meta={"phase": phase, "seq": f"{phase}-{count}"},
    )


def check(expected: dict[str, Event], received: list[Event]) -> dict[str, Any]:
    """Compare received events with the published ones, by their ``seq`` metadata."""
    seqs = [meta(e).get("seq", "") for e in received]
    counts = Counter(seqs)
    mismatches = []
    for event, seq in zip(received, seqs, strict=True):
        want = expected.get(seq)
        if want is None:
            continue
        got, wanted = snapshot(event), snapshot(want)
        wrong = [field for field in wanted if wanted[field] != got[field]]
        if wrong:
            mismatches.append({"seq": seq, "fields": wrong})
    numeric = [int(s) for s in seqs if s.isdigit()]
    missing = sorted(set(expected) - set(counts), key=int)
    return {
        "rows": len(received),
        "distinct": len(counts),
        "duplicates": sum(c - 1 for c in counts.values()),
        "missing_count": len(missing),
        "missing": missing[:20],
        "unexpected": sorted(set(counts) - set(expected))[:20],
        "mismatch_count": len(mismatches),
        "mismatches": mismatches[:10],
        "in_order": numeric == sorted(numeric),
        "distinct_ids": len({e.id.bytes for e in received if e.id is not None}),
        "mimetypes": dict(Counter(mimetypes.to_str(e.mimetype) for e in received)),
    }


async def settle(events: list[Event], timeout: float) -> dict[str, Any]:
    """Wait for the ack or nack of every event; count them."""

    async def one(event: Event) -> Any:
        try:
            return await event.wait_for_ack()
        except NackError as exc:
            return exc

    outcomes = await asyncio.wait_for(asyncio.gather(*(one(e) for e in events)), timeout)
    acks = [o for o in outcomes if not isinstance(o, NackError)]
    nacks = [describe(o) for o in outcomes if isinstance(o, NackError)]
    committed = [a.committed.timestamp() for a in acks if a.committed is not None]
    return {
        "acked": len(acks),
        "nacked": len(nacks),
        "nacks": nacks[:5],
        "distinct_ack_ids": len({bytes(a.id) for a in acks}),
        "committed_min": min(committed, default=None),
        "committed_max": max(committed, default=None),
    }


class Consumer:
    """Reads a subscription in the background, acking what ``should_ack`` accepts."""

    def __init__(
        self,
        ens: Ensign,
        topic: str,
        group: ConsumerGroup | None = None,
        should_ack: Any = None,
    ) -> None:
        self.events: list[Event] = []
        self.acked: list[Event] = []
        self.error: dict[str, Any] | None = None
        self._should_ack = should_ack or (lambda event: True)
        kwargs = {} if group is None else {"consumer_group": group}
        self.task = asyncio.create_task(self._run(ens, topic, kwargs))

    async def _run(self, ens: Ensign, topic: str, kwargs: dict[str, Any]) -> None:
        try:
            async for event in ens.subscribe(topic, **kwargs):
                self.events.append(event)
                if self._should_ack(event):
                    await event.ack()
                    self.acked.append(event)
        except Exception as exc:
            self.error = describe(exc)

    def phase(self, name: str) -> list[Event]:
        return [e for e in self.events if meta(e).get("phase") == name]

    async def stop(self, ens: Ensign, close_timeout: float = 10.0) -> dict[str, Any] | None:
        """Close the client; return how closing failed, if it did."""
        failed = None
        try:
            await close(ens, close_timeout)
        except Exception as exc:
            failed = describe(exc)
        try:
            await asyncio.wait_for(self.task, 10 if failed is None else 1)
        except TimeoutError:
            self.task.cancel()
        return failed


async def markers_until_seen(
    ens: Ensign, topic: str, consumer: Consumer, phase: str, timeout: float = 20.0
) -> int:
    """Publish markers until ``consumer`` receives one: its subscription is then live."""
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        event = marker(phase, count)
        await ens.publish(topic, event)
        await asyncio.wait_for(event.wait_for_ack(), STEP_TIMEOUT_S)
        count += 1
        if await wait_until(lambda: bool(consumer.phase(phase)), 0.3):
            return count
        if consumer.error is not None:
            raise RuntimeError(f"the subscriber failed: {consumer.error}")
    raise TimeoutError(f"no {phase} event reached the subscriber in {timeout} s")


# --- scenario: main ------------------------------------------------------------------------------


async def scenario_main(cfg: dict[str, Any], out: dict[str, Any]) -> None:
    """The happy path of one key with every permission.

    Config: ``key``, ``topic``, ``group_topic``, ``group_name``, ``kinds``, ``versions``,
    ``n_bulk``, ``n_live``, ``n_group``, ``group_first_seq``, ``group_first_acks``,
    ``filler_topics`` and ``queries`` (a list of ``{label, query, params?, show_data?}``).
    """
    key, topic = cfg["key"], cfg["topic"]
    ens = client(cfg, key)
    started = time.time()
    out["started"] = started

    # status
    status = await asyncio.wait_for(ens.status(), STEP_TIMEOUT_S)
    out["status"] = {
        "status": int(status.status),
        "version": status.version,
        "uptime_s": status.uptime.ToTimedelta().total_seconds(),
    }

    # topics: exists / create / exists, ids through ListTopics pages
    fresh = client(cfg, key)
    topics: dict[str, Any] = {"exists_before": await fresh.topic_exists(topic)}
    topic_id = await ens.create_topic(topic)
    topics["created_id"] = topic_id
    topics["exists_after"] = await fresh.topic_exists(topic)
    topics["exists_unknown"] = await fresh.topic_exists("no-such-topic")
    topics["create_again"] = await attempt(ens.create_topic(topic))
    await close(fresh)
    fillers = [f"page-{i:03d}" for i in range(cfg["filler_topics"])]
    filler_ids = await asyncio.gather(*(ens.create_topic(name) for name in fillers))
    group_topic_id = await ens.create_topic(cfg["group_topic"])
    topics["group_topic_id"] = group_topic_id
    lookup = client(cfg, key)  # an empty cache: every lookup goes to ListTopics
    topics["last_filler"] = {
        "name": fillers[-1],
        "created_id": filler_ids[-1],
        "resolved_id": await lookup.topic_id(fillers[-1]),
    }
    topics["resolved_id"] = await lookup.topic_id(topic)
    topics["resolve_unknown"] = await attempt(lookup.topic_id("no-such-topic"))
    listed = await lookup.get_topics()
    created = {
        topic: topic_id,
        cfg["group_topic"]: group_topic_id,
        **dict(zip(fillers, filler_ids, strict=True)),
    }
    topics["listed"] = {
        "count": len(listed),
        "names": sorted(t.name for t in listed),
        "ids_match": {t.name: str(t.id) for t in listed} == created,
        "projects": sorted({str(t.project_id) for t in listed}),
        "states": sorted({str(t.status) for t in listed}),
    }
    await close(lookup)
    out["topics"] = topics

    # publish the bulk events, mixed mimetypes/types/versions, and wait for every ack
    bulk = [make_event(cfg, seq, "bulk") for seq in range(cfg["n_bulk"])]
    callback_acks: list[Any] = []
    callback_nacks: list[Any] = []

    async def on_ack(ack: Any) -> None:
        callback_acks.append(ack)

    async def on_nack(nack: Any) -> None:
        callback_nacks.append(nack)

    begun = time.monotonic()
    await ens.publish(topic, bulk, on_ack=on_ack, on_nack=on_nack)
    publish = await settle(bulk, 90)
    publish["seconds"] = round(time.monotonic() - begun, 3)
    await wait_until(lambda: len(callback_acks) + len(callback_nacks) >= len(bulk), 5)
    publish["callback_acks"] = len(callback_acks)
    publish["callback_nacks"] = len(callback_nacks)
    publish["count"] = len(bulk)
    publish["bytes"] = sum(len(e.data) for e in bulk)
    out["publish"] = publish
    expected_bulk = {meta(e)["seq"]: e for e in bulk}

    # read everything back with EnSQL, through each of the cursor's fetch methods
    cursor = await asyncio.wait_for(ens.query(f"SELECT * FROM {topic}"), STEP_TIMEOUT_S)
    rows = [await cursor.fetchone()]
    rows += await cursor.fetchmany(99)
    rows += await asyncio.wait_for(cursor.fetchall(), 60)
    out["query_all"] = check(expected_bulk, [r for r in rows if r is not None])

    # WHERE / OFFSET / LIMIT / params, and the errors
    queries: dict[str, Any] = {}
    for spec in cfg["queries"]:
        queries[spec["label"]] = await run_query(ens, spec)
    out["queries"] = queries

    # a live subscription: only events published after it is ready arrive
    sub_ens = client(cfg, key)
    live_consumer = Consumer(sub_ens, topic)
    markers = await markers_until_seen(ens, topic, live_consumer, "marker")
    first_live = cfg["n_bulk"]
    live = [make_event(cfg, seq, "live") for seq in range(first_live, first_live + cfg["n_live"])]
    await ens.publish(topic, live)
    live_publish = await settle(live, 60)
    await wait_until(lambda: len(live_consumer.phase("live")) >= len(live), 20)
    await asyncio.sleep(0.3)  # room for duplicates to show up
    closed = await live_consumer.stop(sub_ens)
    received = live_consumer.phase("live")
    out["subscribe"] = {
        "markers_published": markers,
        "markers_received": len(live_consumer.phase("marker")),
        "bulk_received": len(live_consumer.phase("bulk")),
        "publish": live_publish,
        "check": check({meta(e)["seq"]: e for e in live}, received),
        "acked": len([e for e in live_consumer.acked if meta(e).get("phase") == "live"]),
        "error": live_consumer.error,
        "close_error": closed,
    }

    # a consumer group survives a reconnect: unacked events come again, acked ones do not
    out["group"] = await group_scenario(cfg, ens)

    # info: the project's topics and their event counts
    project = await asyncio.wait_for(ens.info(), STEP_TIMEOUT_S)
    only_main = await asyncio.wait_for(ens.info([topic_id]), STEP_TIMEOUT_S)
    out["info"] = {
        "project_id": str(project.id),
        "num_topics": project.num_topics,
        "events": project.events,
        "data_size_bytes": project.data_size_bytes,
        "topics": {str(t.id): t.events for t in project.topics},
        "types": {
            str(t.id): [
                {
                    "type": f"{e.type.name} v{e.type.semver()}",
                    "mimetype": mimetypes.to_str(e.mimetype),
                    "events": e.events,
                    "data_size_bytes": e.data_size_bytes,
                }
                for e in t.types
            ]
            for t in project.topics
        },
        "filtered": {
            "num_topics": only_main.num_topics,
            "events": only_main.events,
            "topics": [str(t.id) for t in only_main.topics],
        },
    }
    await close(ens)


async def run_query(ens: Ensign, spec: dict[str, Any]) -> dict[str, Any]:
    try:
        cursor = await asyncio.wait_for(
            ens.query(spec["query"], params=spec.get("params")), STEP_TIMEOUT_S
        )
        rows = await asyncio.wait_for(cursor.fetchall(), 60)
    except Exception as exc:
        return {"error": describe(exc)}
    found: dict[str, Any] = {"rows": len(rows), "seqs": [meta(r).get("seq") for r in rows]}
    if spec.get("show_data"):
        found["data"] = [r.data.decode("utf-8", "replace") for r in rows]
        found["mimetypes"] = [mimetypes.to_str(r.mimetype) for r in rows]
    return found


async def group_scenario(cfg: dict[str, Any], ens: Ensign) -> dict[str, Any]:
    """Consumer 1 acks the first events and leaves; consumer 2 (same group) gets the rest."""
    topic, group = cfg["group_topic"], ConsumerGroup(name=cfg["group_name"])
    first_acks = cfg["group_first_acks"]
    acked_work: list[str] = []

    def ack_first(event: Event) -> bool:
        labels = meta(event)
        if labels.get("phase") != "work":
            return True
        if len(acked_work) < first_acks:
            acked_work.append(labels["seq"])
            return True
        return False

    ens1 = client(cfg, cfg["key"])
    one = Consumer(ens1, topic, group, ack_first)
    markers = await markers_until_seen(ens, topic, one, "group-marker")
    start = cfg["group_first_seq"]
    work = [make_event(cfg, seq, "work") for seq in range(start, start + cfg["n_group"])]
    await ens.publish(topic, work)
    published = await settle(work, 60)
    await wait_until(lambda: len(one.phase("work")) >= len(work), 20)
    await asyncio.sleep(0.5)  # let the acks reach the broker before the client goes
    one_closed = await one.stop(ens1)
    first = {
        "received": len(one.phase("work")),
        "acked": len(acked_work),
        "markers_received": len(one.phase("group-marker")),
        "error": one.error,
        "close_error": one_closed,
    }

    all_work = {meta(e)["seq"] for e in work}
    rest = all_work - set(acked_work)
    ens2 = client(cfg, cfg["key"])
    two = Consumer(ens2, topic, group)
    await wait_until(lambda: {meta(e)["seq"] for e in two.phase("work")} >= rest, 20)
    await asyncio.sleep(0.5)  # redeliveries of acked events would show up here
    two_closed = await two.stop(ens2)
    second_seqs = [meta(e)["seq"] for e in two.phase("work")]
    second = {
        "received": len(second_seqs),
        "distinct": len(set(second_seqs)),
        "missing": len(rest - set(second_seqs)),
        "redelivered_acked": len(set(second_seqs) & set(acked_work)),
        "markers_received": len(two.phase("group-marker")),
        "check": check({meta(e)["seq"]: e for e in work if meta(e)["seq"] in rest}, two.events),
        "error": two.error,
        "close_error": two_closed,
    }

    # A third member: everything is acked, so only what is published now arrives.
    ens3 = client(cfg, cfg["key"])
    three = Consumer(ens3, topic, group)
    tail = await markers_until_seen(ens, topic, three, "group-tail")
    await asyncio.sleep(0.3)
    three_closed = await three.stop(ens3)
    third = {
        "tail_markers": tail,
        "work_received": len(three.phase("work")),
        "old_markers_received": len(three.phase("group-marker")),
        "tail_received": len(three.phase("group-tail")),
        "error": three.error,
        "close_error": three_closed,
    }
    return {
        "markers_published": markers,
        "publish": published,
        "first": first,
        "second": second,
        "third": third,
    }


# --- scenario: refusals --------------------------------------------------------------------------


async def scenario_refusals(cfg: dict[str, Any], out: dict[str, Any]) -> None:
    """What users see when the broker says no.

    Config: ``admin`` (every permission), ``revocable`` (subscriber + topics:read),
    ``subscriber_only``, ``publisher_only`` keys, ``topic``, ``revoke_command`` (argv).
    """
    topic = cfg["topic"]
    admin = client(cfg, cfg["admin"])
    await admin.ensure_topic_exists(topic)
    seed = marker("seed", 0)
    await admin.publish(topic, seed)
    await asyncio.wait_for(seed.wait_for_ack(), STEP_TIMEOUT_S)

    # A wrong secret and an unknown client id: the auth endpoint says no. Mind the broker's
    # login limiter: after 5 failed logins from one address (all of ours are 127.0.0.1) every
    # login from it, good keys included, gets HTTP 429 for a while. This scenario fails 4.
    wrong = client(cfg, cfg["admin"], secret="not-the-secret")
    out["wrong_secret"] = {
        "topic_exists": await attempt(wrong.topic_exists(topic)),
        "publish": await attempt(wrong.publish(topic, marker("wrong", 0))),
    }
    unknown = client(cfg, {"client_id": "no-such-client", "client_secret": "x"})
    out["unknown_client"] = {"topic_exists": await attempt(unknown.topic_exists(topic))}
    await close(wrong)
    await close(unknown)

    out["revoked"] = await revoked_scenario(cfg, admin)

    # A subscriber-only key publishing: every event is nacked, the stream stays usable.
    sub_only = client(cfg, cfg["subscriber_only"])
    refused = [marker("refused", i) for i in range(3)]
    await sub_only.publish(topic, refused)
    out["subscriber_only"] = {
        "publish": await settle(refused, STEP_TIMEOUT_S),
        "create_topic": await attempt(sub_only.create_topic("not-allowed")),
        "query": await attempt(count_rows(sub_only, f"SELECT * FROM {topic}")),
    }
    await close(sub_only)

    # A publisher-only key: publishing works, everything else is refused.
    pub_only = client(cfg, cfg["publisher_only"])
    allowed = marker("allowed", 0)
    await pub_only.publish(topic, allowed)
    out["publisher_only"] = {
        "publish": await settle([allowed], STEP_TIMEOUT_S),
        "create_topic": await attempt(pub_only.create_topic("not-allowed")),
        "topic_exists": await attempt(pub_only.topic_exists("anything")),
        "query": await attempt(count_rows(pub_only, f"SELECT * FROM {topic}")),
        "subscribe": await attempt(first_event(pub_only, topic)),
        "info": await attempt(pub_only.info()),
    }
    await close(pub_only)

    # Unknown topics.
    out["unknown_topic"] = {
        "query": await attempt(count_rows(admin, "SELECT * FROM no_such_topic")),
        "subscribe": await attempt(first_event(admin, "no-such-topic")),
        "publish": await attempt(admin.publish("no-such-topic", marker("lost", 0))),
    }
    await close(admin)


async def count_rows(ens: Ensign, query: str) -> int:
    cursor = await ens.query(query)
    return len(await cursor.fetchall())


async def first_event(ens: Ensign, topic: str) -> str:
    async for event in ens.subscribe(topic):
        return repr(event)
    return "the subscription ended"


async def revoked_scenario(cfg: dict[str, Any], admin: Ensign) -> dict[str, Any]:
    """A key that worked, revoked while its client holds a valid access token and a stream."""
    topic = cfg["topic"]
    found: dict[str, Any] = {}
    holder = client(cfg, cfg["revocable"])
    found["before"] = await attempt(holder.topic_exists(topic))
    found["query_before"] = await attempt(count_rows(holder, f"SELECT * FROM {topic}"))
    listener = client(cfg, cfg["revocable"])
    consumer = Consumer(listener, topic)
    await markers_until_seen(admin, topic, consumer, "before-revoke")
    token = holder.client.connection.auth._access_token

    revoke = await asyncio.to_thread(
        subprocess.run, cfg["revoke_command"], capture_output=True, text=True, check=False
    )
    found["revoke"] = {"returncode": revoke.returncode, "stderr": revoke.stderr[-2000:]}
    revoked_at = time.monotonic()

    # The same client, with the token it already holds (pyensign does not ask for a new one).
    found["topic_exists_after"] = await attempt(holder.topic_exists("not-in-the-cache"))
    found["query_after"] = await attempt(count_rows(holder, f"SELECT * FROM {topic}"))
    found["publish_after"] = await attempt(holder.publish(topic, marker("revoked", 0)))
    found["token_reused"] = holder.client.connection.auth._access_token == token
    # A new client: it cannot even get a token.
    newcomer = client(cfg, cfg["revocable"])
    found["new_client"] = await attempt(newcomer.topic_exists(topic))

    # The subscription opened before the revocation gets nothing published after it.
    await asyncio.sleep(max(0.0, revoked_at + 1.5 - time.monotonic()))
    later = [marker("after-revoke", i) for i in range(5)]
    await admin.publish(topic, later)
    found["published_after"] = await settle(later, STEP_TIMEOUT_S)
    await asyncio.sleep(1.0)
    found["stream"] = {
        "received_before": len(consumer.phase("before-revoke")),
        "received_after": len(consumer.phase("after-revoke")),
        "error": consumer.error,
        # pyensign retries the dead stream in the background; see the test for what closing
        # such a client can raise.
        "close_error": await consumer.stop(listener, close_timeout=5.0),
    }
    await close(holder)
    await close(newcomer)
    return found


# --- entry point ---------------------------------------------------------------------------------

SCENARIOS = {"main": scenario_main, "refusals": scenario_refusals}


async def play(name: str, cfg: dict[str, Any], scenarios: dict[str, Any] | None = None) -> None:
    """Play scenario ``name`` (of ``scenarios``, this module's by default), print what was seen
    as one JSON line, and leave the process."""
    out: dict[str, Any] = {"scenario": name}
    begun = time.monotonic()
    try:
        await (scenarios or SCENARIOS)[name](cfg, out)
    except Exception:
        out["fatal"] = traceback.format_exc()
    out["seconds"] = round(time.monotonic() - begun, 3)
    sys.stdout.write(json.dumps(out, default=repr) + "\n")
    sys.stdout.flush()
    # Leave at once: a client whose stream the broker refused keeps reconnecting in pyensign
    # background tasks, which could hold up the event loop's shutdown.
    os._exit(0)


def main() -> None:
    asyncio.run(play(sys.argv[1], json.loads(sys.argv[2])))


if __name__ == "__main__":
    main()
