"""Change data capture from PostgreSQL: throughput of a bulk update, and commit-to-ack lag.

A throwaway PostgreSQL cluster (``tests/postgres_cluster.py``; Debian's ``postgresql``), a real
``ensign-broker serve`` and a real ``ensign-broker capture postgres`` process, all on loopback.

1. Throughput. One ``UPDATE`` of ``BENCH_CAPTURE_ROWS`` rows (default 100,000) in one
   transaction, captured into one topic. Figure: rows / (the broker's commit time of the last
   event - PostgreSQL's commit time of the update). Baseline, same run, same broker: the same
   number of change events of the same size published with the batched publish, 1,000 a call,
   one call in flight (a topic's events are published in order, one batch at a time, as the
   capture does), by the capture's own client code.
2. Lag. ``BENCH_CAPTURE_LAG_TX`` single-row transactions (default 300) at about 100 a second.
   Figure: each change's broker commit time - its PostgreSQL commit time, p50 and p99. Baseline:
   the batched publish's round trip for one event (call -> ack), p50 and p99, same run.

Both clocks are this machine's; the figures are milliseconds apart at best, so the lag is only
as exact as the two timestamps (PostgreSQL's in microseconds, the broker's in milliseconds).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import psycopg2

from bench.report import Row
from change_capture.broker_link import BrokerAddress, BrokerLink
from change_capture.change_events import Change, encode_change
from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from tests.api.client import connect
from tests.postgres_cluster import PostgresCluster
from tests.serve_process import BrokerProcess, broker_command, create_key, start_broker

NAME = "capture"
ROWS = int(os.environ.get("BENCH_CAPTURE_ROWS", "100000"))
LAG_TX = int(os.environ.get("BENCH_CAPTURE_LAG_TX", "300"))
BATCH = 1000
TIMEOUT_S = 300.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _start_capture(broker: BrokerProcess, key: dict[str, str], dsn: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENSIGN_CLIENT_ID": key["client_id"],
        "ENSIGN_CLIENT_SECRET": key["client_secret"],
    }
    command = broker_command(
        "capture", "postgres", "--dsn", dsn, "--table", "public.accounts",
        "--topic", "captured", "--endpoint", broker.grpc_address, "--auth-url", broker.auth_url,
        "--insecure", "--json", "--status-interval", "0.2",
    )  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    process.stdout.readline()  # the first status: the slot exists, capture runs
    return process


def _commit_times(
    broker: BrokerProcess, key: dict[str, str], first_offset: int
) -> list[tuple[int, int]]:
    """(PostgreSQL commit ms, broker commit ms) of the topic's events from ``first_offset``."""
    client = connect(broker, key)
    try:
        topics = client.admin.ListTopics(admin_pb2.ListTopicsRequest(), metadata=client.auth)
        topic = next(t.topic for t in topics.topics if t.topic.name == "captured")
        times: list[tuple[int, int]] = []
        offset = first_offset
        while True:
            page = client.admin.ReadEvents(
                admin_pb2.ReadEventsRequest(topic_id=topic.id, offset=offset, limit=1000),
                metadata=client.auth,
            )
            for wrapper in page.events:
                data = Event.FromString(wrapper.event).data
                committed_at = data[data.rindex(b'"committed_at":"') + 16 : -2].decode()
                pg_ms = _rfc3339_ms(committed_at)
                times.append((pg_ms, wrapper.committed.ToMilliseconds()))
            if not page.events or page.next_offset > page.last_offset:
                return times
            offset = page.next_offset
    finally:
        client.close()


def _rfc3339_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _wait_for_offset(broker: BrokerProcess, key: dict[str, str], offset: int) -> None:
    client = connect(broker, key)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            topics = client.admin.ListTopics(admin_pb2.ListTopicsRequest(), metadata=client.auth)
            if any(t.topic.name == "captured" and t.last_offset >= offset for t in topics.topics):
                return
            time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError(f"the capture did not reach offset {offset}")


def _baseline(broker: BrokerProcess, key: dict[str, str]) -> tuple[float, list[float]]:
    """The batched publish of the same events: events/s, one call in flight; and one event's
    round trip, ms, ``LAG_TX`` times."""
    link = BrokerLink(
        BrokerAddress(broker.grpc_address, broker.auth_url, key["client_id"], key["client_secret"])
    )
    try:
        topic, _ = link.ensure_topic("baseline")
        row = {"id": 1, "owner": "owner 1", "balance": "101.00"}
        change = Change(
            "update", "public", "accounts", None, row, "0/1537800", 1, 733,
            "2024-05-01T10:00:00.123456Z", 1,
        )  # fmt: skip
        events = [encode_change(change, int(time.time() * 1000))] * BATCH
        link.publish_result(link.publish(topic, events))  # warm up
        start = time.perf_counter()
        for _ in range(ROWS // BATCH):
            link.publish_result(link.publish(topic, events))
        rate = (ROWS // BATCH) * BATCH / (time.perf_counter() - start)
        trips = []
        for _ in range(LAG_TX):
            start = time.perf_counter()
            link.publish_result(link.publish(topic, events[:1]))
            trips.append((time.perf_counter() - start) * 1000)
        return rate, trips
    finally:
        link.close()


def _measure(cluster: PostgresCluster, broker: BrokerProcess, key: dict[str, str]) -> list[Row]:
    dsn = cluster.dsn()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(14, 2))")
    cur.execute(
        "INSERT INTO accounts SELECT i, 'owner ' || i, 100 FROM generate_series(1, %s) i", (ROWS,)
    )
    capture = _start_capture(broker, key, dsn)
    try:
        cur.execute("UPDATE accounts SET balance = balance + 1")
        _wait_for_offset(broker, key, ROWS)
        bulk = _commit_times(broker, key, 1)
        rate = ROWS / max(0.001, (bulk[-1][1] - bulk[0][0]) / 1000)
        for i in range(LAG_TX):
            cur.execute("UPDATE accounts SET balance = balance + 1 WHERE id = %s", (i + 1,))
            time.sleep(0.01)
        _wait_for_offset(broker, key, ROWS + LAG_TX)
        lags = [
            float(acked - committed) for committed, acked in _commit_times(broker, key, ROWS + 1)
        ]
    finally:
        capture.send_signal(signal.SIGTERM)
        capture.wait(60)
        conn.close()
    baseline_rate, trips = _baseline(broker, key)
    return [
        Row(
            f"capture: a bulk UPDATE of {ROWS:,} rows, commit -> last ack",
            rate,
            "changes/s",
            baseline_rate,
            "batched publish, same events, 1 call in flight",
            ">= 0.25x",
        ),
        Row(
            "capture: commit -> ack lag, p50",
            statistics.median(lags),
            "ms",
            statistics.median(trips),
            "batched publish round trip, p50",
            "< 50 ms",
        ),
        Row(
            "capture: commit -> ack lag, p99",
            _percentile(lags, 0.99),
            "ms",
            _percentile(trips, 0.99),
            "batched publish round trip, p99",
            "< 250 ms",
        ),
    ]


def run() -> list[Row]:
    """Measure; return the rows."""
    cluster = PostgresCluster.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            broker = start_broker(Path(tmp) / "broker")
            try:
                key = create_key(broker.data_dir, "bench", "all")
                return _measure(cluster, broker, key)
            finally:
                broker.stop()
    finally:
        cluster.stop()


if __name__ == "__main__":
    from bench.report import format_table

    print(format_table(run()))
