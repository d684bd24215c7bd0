"""``ensign-broker capture postgres`` against a real PostgreSQL and a real broker process."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from change_capture.pgoutput import parse_lsn
from tests.change_capture.capture_process import (
    StoredEvent,
    assert_once_in_order,
    in_background,
    ledger_changes,
    originals,
    run_capture,
    start_capture,
    topic_events,
    wait_for_events,
)
from tests.postgres_cluster import PostgresCluster
from tests.serve_process import BrokerProcess, create_key, start_broker

RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def execute(dsn: str, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    """Run statements in one transaction."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            for statement in statements:
                if isinstance(statement, tuple):
                    cur.execute(*statement)
                else:
                    cur.execute(statement)
    finally:
        conn.close()


def query(dsn: str, text: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(text, args)
            return list(cur.fetchall())
    finally:
        conn.close()


def confirmed_lsn(dsn: str, slot: str) -> int:
    rows = query(
        dsn, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = %s", (slot,)
    )
    return parse_lsn(rows[0][0])


def capturing(status: dict[str, Any]) -> bool:
    return status.get("state") == "capturing"


def key_of(event: StoredEvent) -> tuple[int, int]:
    return parse_lsn(event.metadata["lsn"]), int(event.metadata["position"])


ACCOUNTS = """
CREATE TABLE accounts (
    id int PRIMARY KEY, owner text, balance numeric(30, 2), rate numeric, ratio float8,
    edge float8, big bigint, opened timestamptz, local timestamp, born date, photo bytea,
    prefs jsonb, active boolean, tags int[], names text[], uid uuid, span interval, at timetz
)"""
ROW_1 = (
    "INSERT INTO accounts VALUES (1, 'Ann \"the\" Ünïcode\n', 12345678901234567890.12, 'NaN', "
    "0.1, 'Infinity', 9223372036854775807, '2024-05-01 12:00:00.123456+02', "
    "'2024-05-01 12:00:00', '1990-02-28', '\\xdeadbeef', '{\"a\": [1, 2.5]}', true, "
    "'{1,NULL,3}', '{\"a b\",\"c,d\"}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
    "'1 day 2 hours', '12:34:56+02')"
)
AFTER_1 = {
    "id": 1,
    "owner": 'Ann "the" Ünïcode\n',
    "balance": "12345678901234567890.12",
    "rate": "NaN",
    "ratio": 0.1,
    "edge": "Infinity",
    "big": 9223372036854775807,
    "opened": "2024-05-01T10:00:00.123456Z",
    "local": "2024-05-01T12:00:00",
    "born": "1990-02-28",
    "photo": "3q2+7w==",
    "prefs": {"a": [1, 2.5]},
    "active": True,
    "tags": [1, None, 3],
    "names": ["a b", "c,d"],
    "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "span": "P1DT2H",
    "at": "12:34:56+02:00",
}
NULLS_2 = dict.fromkeys(AFTER_1, None) | {"id": 2}


def test_changes_arrive_in_commit_order_with_exact_values(
    database: str, broker: BrokerProcess, key: dict[str, str]
) -> None:
    execute(
        database,
        ACCOUNTS,
        "CREATE TABLE transfers (id bigint PRIMARY KEY, amount numeric(12, 2), note text)",
        "ALTER TABLE transfers REPLICA IDENTITY FULL",
    )
    capture = start_capture(
        broker, key, "postgres", "--dsn", database,
        "--table", "public.accounts", "--table", "transfers", "--slot", "values_slot",
    )  # fmt: skip
    capture.wait_for(capturing, "the capture running")
    execute(database, ROW_1, "INSERT INTO accounts (id) VALUES (2)",
            "INSERT INTO transfers VALUES (10, 5.00, 'first')")  # fmt: skip
    execute(database, "UPDATE accounts SET balance = balance + 0.01 WHERE id = 1",
            "DELETE FROM accounts WHERE id = 2")  # fmt: skip
    conn = psycopg2.connect(database)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO accounts (id) VALUES (3)")
        cur.execute("UPDATE transfers SET amount = 0 WHERE id = 10")
    conn.rollback()  # a transaction rolled back: nothing of it is captured
    conn.close()
    execute(database, "UPDATE transfers SET amount = 7.25 WHERE id = 10",
            "UPDATE accounts SET owner = 'Bob' WHERE id = 1")  # fmt: skip
    (end,) = query(database, "SELECT pg_current_wal_lsn()")[0]

    accounts = wait_for_events(broker, key, "public.accounts", 4)
    transfers = wait_for_events(broker, key, "public.transfers", 2)
    time.sleep(0.5)  # nothing more arrives (the rolled-back transaction)
    accounts, transfers = (
        topic_events(broker, key, "public.accounts"),
        topic_events(broker, key, "public.transfers"),
    )
    assert [(e.data["op"], (e.data["after"] or e.data["before"])["id"]) for e in accounts] == [
        ("insert", 1), ("insert", 2), ("update", 1), ("delete", 2), ("update", 1),
    ]  # fmt: skip
    assert [e.data["op"] for e in transfers] == ["insert", "update"]
    assert all(not e.duplicate for e in accounts + transfers)

    first, second, update, delete, last = accounts
    assert first.data["after"] == AFTER_1
    assert first.data["before"] is None
    assert second.data["after"] == NULLS_2
    assert update.data["after"]["balance"] == "12345678901234567890.13"
    assert update.data["before"] is None  # the default replica identity: no old row
    assert delete.data["before"] == {"id": 2}  # the key columns only
    assert delete.data["after"] is None
    assert last.data["after"]["owner"] == "Bob"
    moved = transfers[1].data
    assert moved["before"] == {"id": 10, "amount": "5.00", "note": "first"}  # REPLICA IDENTITY FULL
    assert moved["after"] == {"id": 10, "amount": "7.25", "note": "first"}

    every = sorted(accounts + transfers, key=key_of)
    transactions = [
        [e for e in every if e.data["xid"] == xid]
        for xid in dict.fromkeys(e.data["xid"] for e in every)
    ]
    assert [len(t) for t in transactions] == [3, 2, 2]
    for number, events in enumerate(transactions):
        assert [int(e.metadata["position"]) for e in events] == list(range(1, len(events) + 1))
        assert len({e.data["lsn"] for e in events}) == 1
        assert len({e.data["committed_at"] for e in events}) == 1
        if number:
            previous = transactions[number - 1][0].data
            assert parse_lsn(events[0].data["lsn"]) > parse_lsn(previous["lsn"])
            assert events[0].data["committed_at"] >= previous["committed_at"]
            assert events[0].data["xid"] > previous["xid"]
    for event in every:
        assert list(event.data) == [
            "op",
            "schema",
            "table",
            "before",
            "after",
            "lsn",
            "xid",
            "committed_at",
        ]
        assert RFC3339_UTC.match(event.data["committed_at"])
        assert event.metadata == {
            "op": event.data["op"],
            "table": f"public.{event.data['table']}",
            "lsn": event.data["lsn"],
            "position": event.metadata["position"],
        }
        assert (event.type_name, event.version, event.mimetype) == ("ChangeEvent", "1.0.0", 50)

    assert capture.stop() == 0, capture.log()
    assert (
        "capturing public.accounts, public.transfers into public.accounts, public.transfers"
        in capture.log()
    )
    assert confirmed_lsn(database, "values_slot") >= parse_lsn(end)  # a clean stop confirms all


def ledger_writer(dsn: str, count: int, pause_s: float = 0.0) -> threading.Thread:
    """A thread committing ``count`` transactions: insert row i, add 1 to row i - 1."""

    def write() -> None:
        conn = psycopg2.connect(dsn)
        for i in range(1, count + 1):
            with conn, conn.cursor() as cur:
                cur.execute("INSERT INTO ledger VALUES (%s, %s)", (i, f"{i}.01"))
                if i > 1:
                    cur.execute("UPDATE ledger SET balance = balance + 1 WHERE id = %s", (i - 1,))
            time.sleep(pause_s)
        conn.close()

    return in_background(write)


def assert_ledger_once(events: list[StoredEvent], count: int) -> None:
    """Every change of :func:`ledger_writer` once, in commit order, with exact values."""
    assert_once_in_order(events, ledger_changes(count, lambda i: f"{i}.01"), key_of)


def test_a_capture_killed_mid_stream_and_restarted_loses_nothing_and_stores_nothing_twice(
    database: str, broker: BrokerProcess, key: dict[str, str]
) -> None:
    execute(database, "CREATE TABLE ledger (id int PRIMARY KEY, balance numeric(12, 2))")
    args = (
        "postgres",
        "--dsn",
        database,
        "--table",
        "public.ledger",
        "--slot",
        "kill_slot",
        "--topic",
        "killed.ledger",
    )
    capture = start_capture(broker, key, *args)
    capture.wait_for(capturing, "the capture running")
    count = 600
    writer = ledger_writer(database, count, pause_s=0.001)
    for _ in range(2):  # killed twice while changes stream in
        capture.wait_for(lambda s: s.get("changes", 0) > 150, "changes published")
        assert capture.stop(signal.SIGKILL) == -signal.SIGKILL
        capture = start_capture(broker, key, *args)
        capture.wait_for(capturing, "the capture running again")
    writer.join(60)
    events = wait_for_events(broker, key, "killed.ledger", 2 * count - 1)
    assert capture.stop() == 0, capture.log()
    assert_ledger_once(topic_events(broker, key, "killed.ledger"), count)
    assert len(originals(events)) == 2 * count - 1


def test_a_replay_from_an_earlier_position_is_stored_once(
    database: str, broker: BrokerProcess, key: dict[str, str]
) -> None:
    """A second slot copied before the changes reads them all again, as a restarted capture
    would after a crash between the broker's ack and the slot's confirmation."""
    execute(database, "CREATE TABLE ledger (id int PRIMARY KEY, balance numeric(12, 2))")
    args = ("postgres", "--dsn", database, "--table", "public.ledger", "--topic", "replayed.ledger")
    capture = start_capture(broker, key, *args, "--slot", "first_slot")
    capture.wait_for(capturing, "the capture running")
    execute(database, "SELECT pg_copy_logical_replication_slot('first_slot', 'second_slot')",
            "CREATE PUBLICATION second_slot FOR TABLE ledger")  # fmt: skip
    ledger_writer(database, 50).join(30)
    wait_for_events(broker, key, "replayed.ledger", 99)
    assert capture.stop() == 0
    replay = start_capture(broker, key, *args, "--slot", "second_slot")
    replay.wait_for(lambda s: s.get("duplicates", 0) >= 99, "the replay flagged as duplicates")
    assert replay.stop() == 0
    events = topic_events(broker, key, "replayed.ledger")
    assert len(events) == 198 and sum(e.duplicate for e in events) == 99
    assert_ledger_once(events, 50)


def test_the_broker_restarted_under_a_running_capture_loses_nothing(
    database: str, tmp_path: Path
) -> None:
    broker = start_broker(tmp_path / "broker")
    key = create_key(broker.data_dir, "capture", "all")
    execute(database, "CREATE TABLE ledger (id int PRIMARY KEY, balance numeric(12, 2))")
    capture = start_capture(
        broker,
        key,
        "postgres",
        "--dsn",
        database,
        "--table",
        "public.ledger",
        "--slot",
        "restart_slot",
    )
    try:
        capture.wait_for(capturing, "the capture running")
        count = 400
        writer = ledger_writer(database, count, pause_s=0.002)
        capture.wait_for(lambda s: s.get("changes", 0) > 100, "changes published")
        broker.stop(signal.SIGKILL)
        capture.wait_for(lambda s: s.get("state") == "waiting for the broker", "the broker missed")
        execute(database, "INSERT INTO ledger VALUES (100000, 0)")
        (during,) = query(database, "SELECT pg_current_wal_lsn()")[0]
        time.sleep(0.5)
        assert confirmed_lsn(database, "restart_slot") < parse_lsn(
            during
        )  # not acked: not confirmed
        auth = broker.auth_url.removeprefix("http://")
        broker = start_broker(broker.data_dir, listen=broker.grpc_address, auth_listen=auth)
        writer.join(60)
        execute(database, "DELETE FROM ledger WHERE id = 100000")
        events = wait_for_events(broker, key, "public.ledger", 2 * count + 1)
        capture.wait_for(lambda s: s.get("state") == "capturing", "the capture publishing again")
        assert capture.stop() == 0, capture.log()
        events = topic_events(broker, key, "public.ledger")
        kept = originals(events)
        assert len(kept) == 2 * count + 1
        interloper = [e for e in kept if (e.data["after"] or e.data["before"])["id"] == 100000]
        assert [e.data["op"] for e in interloper] == ["insert", "delete"]
        ledger = [
            e for e in events if e not in interloper and (e.data["after"] or {}).get("id") != 100000
        ]
        assert_ledger_once(ledger, count)
        assert "the broker is back" in capture.log()
    finally:
        capture.stop(signal.SIGKILL)
        broker.stop()


def test_a_snapshot_starts_with_the_rows_as_they_were_at_the_slot_start(
    database: str, broker: BrokerProcess, key: dict[str, str]
) -> None:
    execute(database, "CREATE TABLE items (id int PRIMARY KEY, name text)",
            "INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 3) i")  # fmt: skip
    args = (
        "postgres",
        "--dsn",
        database,
        "--table",
        "public.items",
        "--slot",
        "snap_slot",
        "--topic",
        "snap.items",
    )
    capture = start_capture(broker, key, *args, "--snapshot")
    capture.wait_for(
        lambda s: "(snapshot)" in s.get("position", "") or s.get("changes") == 3, "the snapshot"
    )
    execute(
        database,
        "INSERT INTO items VALUES (4, 'item 4')",
        "UPDATE items SET name = 'one' WHERE id = 1",
    )
    events = wait_for_events(broker, key, "snap.items", 5)
    assert capture.stop() == 0, capture.log()
    reads, changes = events[:3], events[3:]
    assert [e.data["after"] for e in reads] == [{"id": i, "name": f"item {i}"} for i in (1, 2, 3)]
    assert {(e.data["op"], e.data["xid"], e.data["committed_at"]) for e in reads} == {
        ("read", None, None)
    }
    assert [e.metadata["position"] for e in reads] == ["1", "2", "3"]
    assert len({e.data["lsn"] for e in reads}) == 1
    assert parse_lsn(changes[0].data["lsn"]) > parse_lsn(reads[0].data["lsn"])
    assert [(e.data["op"], e.data["after"]) for e in changes] == [
        ("insert", {"id": 4, "name": "item 4"}),
        ("update", {"id": 1, "name": "one"}),
    ]
    again = start_capture(broker, key, *args, "--snapshot")  # the slot exists: no new snapshot
    again.wait_for(capturing, "the capture running again")
    time.sleep(0.5)
    assert again.stop() == 0
    assert "resuming from it with no snapshot" in again.log()
    assert len(topic_events(broker, key, "snap.items")) == 5


def test_a_capture_stopped_during_its_snapshot_leaves_no_slot(
    database: str, broker: BrokerProcess, key: dict[str, str]
) -> None:
    execute(database, "CREATE TABLE many (id int PRIMARY KEY)",
            "INSERT INTO many SELECT generate_series(1, 50000)")  # fmt: skip
    args = (
        "postgres",
        "--dsn",
        database,
        "--table",
        "public.many",
        "--slot",
        "half_slot",
        "--topic",
        "snap.many",
    )
    capture = start_capture(broker, key, *args, "--snapshot")
    capture.wait_for(lambda s: s.get("changes", 0) > 0, "snapshot rows published")
    capture.stop(signal.SIGKILL)
    time.sleep(0.3)
    assert not query(database, "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'half_slot'")


@pytest.fixture
def replica_only() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster.start(wal_level="replica")
    yield cluster
    cluster.stop()


def test_wal_level_not_logical_is_a_clear_error(
    replica_only: PostgresCluster, broker: BrokerProcess, key: dict[str, str]
) -> None:
    execute(replica_only.dsn(), "CREATE TABLE t (id int PRIMARY KEY)")
    code, log = run_capture(
        broker, key, "postgres", "--dsn", replica_only.dsn(), "--table", "public.t"
    )
    assert code == 2
    assert "wal_level is 'replica'" in log and "ALTER SYSTEM SET wal_level = logical" in log


def test_set_up_mistakes_are_clear_errors(
    database: str, broker: BrokerProcess, key: dict[str, str]
) -> None:
    execute(
        database,
        "CREATE TABLE keyed (id int PRIMARY KEY)",
        "CREATE TABLE unkeyed (a int)",
        "DO $$ BEGIN CREATE ROLE plain LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    )
    base = ("postgres", "--dsn", database, "--slot", "mistakes")

    code, log = run_capture(broker, key, *base, "--table", "public.unkeyed")
    assert code == 2
    assert "public.unkeyed has no primary key and no replica identity" in log
    assert "REPLICA IDENTITY FULL" in log

    code, log = run_capture(broker, key, *base, "--table", "public.missing")
    assert code == 2 and "has no table public.missing" in log

    plain = database.replace("user=postgres", "user=plain")
    code, log = run_capture(broker, key, "postgres", "--dsn", plain, "--table", "public.keyed")
    assert code == 2
    assert "the user 'plain' lacks the REPLICATION attribute" in log and "ALTER ROLE" in log

    code, log = run_capture(
        broker, key, "postgres", "--dsn", "host=127.0.0.1 port=1 dbname=x", "--table", "t"
    )
    assert code == 2 and "cannot connect to PostgreSQL" in log

    first = start_capture(broker, key, *base, "--table", "public.keyed")
    try:
        first.wait_for(capturing, "the first capture running")
        code, log = run_capture(broker, key, *base, "--table", "public.keyed")
        assert code == 2
        assert "the slot 'mistakes' is in use by server process" in log
    finally:
        assert first.stop() == 0
    for line in log.splitlines():
        assert line.startswith("ensign-broker capture: ") or " INFO capture: " in line, line
