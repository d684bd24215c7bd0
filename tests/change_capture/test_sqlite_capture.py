"""``ensign-broker capture sqlite`` against a real SQLite file and a real broker process."""

from __future__ import annotations

import re
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from tests.change_capture.capture_process import (
    StoredEvent,
    assert_once_in_order,
    in_background,
    ledger_changes,
    run_capture,
    start_capture,
    topic_events,
    wait_for_events,
)
from tests.serve_process import BrokerProcess, create_key, start_broker

RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def open_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def capturing(status: dict[str, Any]) -> bool:
    return status.get("state") == "capturing"


def test_changes_arrive_in_commit_order_with_exact_values(
    tmp_path: Path, broker: BrokerProcess, key: dict[str, str]
) -> None:
    path = tmp_path / "shop.db"
    db = open_db(path)
    db.execute(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT, balance REAL, big INTEGER, "
        "photo BLOB, note)"
    )
    db.execute("CREATE TABLE transfers (id INTEGER PRIMARY KEY, amount REAL)")
    capture = start_capture(
        broker, key, "sqlite", "--path", str(path), "--table", "accounts", "--table", "transfers"
    )
    capture.wait_for(capturing, "the capture running")
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO accounts VALUES (1, 'Ann \"Ü\"', 0.1, 9223372036854775807, x'00ff10', NULL)"
    )
    db.execute("INSERT INTO transfers VALUES (10, 0.30000000000000004)")
    db.execute("COMMIT")
    db.execute("BEGIN")
    db.execute("INSERT INTO accounts VALUES (2, 'gone', 1e308, -1, NULL, 'x')")
    db.execute("ROLLBACK")  # rolled back: nothing captured
    db.execute("UPDATE accounts SET balance = balance + 1.5, note = 42 WHERE id = 1")
    db.execute("DELETE FROM transfers WHERE id = 10")

    accounts = wait_for_events(broker, key, "main.accounts", 2)
    transfers = wait_for_events(broker, key, "main.transfers", 2)
    time.sleep(0.5)
    accounts = topic_events(broker, key, "main.accounts")
    row = {
        "id": 1,
        "owner": 'Ann "Ü"',
        "balance": 0.1,
        "big": 9223372036854775807,
        "photo": "AP8Q",
        "note": None,
    }
    assert [(e.data["op"], e.data["before"], e.data["after"]) for e in accounts] == [
        ("insert", None, row),
        ("update", row, row | {"balance": 1.6, "note": 42}),
    ]
    assert [(e.data["op"], e.data["before"], e.data["after"]) for e in transfers] == [
        ("insert", None, {"id": 10, "amount": 0.30000000000000004}),
        ("delete", {"id": 10, "amount": 0.30000000000000004}, None),
    ]
    every = sorted(accounts + transfers, key=lambda e: int(e.data["lsn"]))
    assert [(e.data["table"], e.data["op"]) for e in every] == [
        ("accounts", "insert"),
        ("transfers", "insert"),
        ("accounts", "update"),
        ("transfers", "delete"),
    ]
    for event in every:
        assert not event.duplicate
        assert event.data["schema"] == "main" and event.data["xid"] is None
        assert RFC3339_MS.match(event.data["committed_at"])
        assert event.metadata == {
            "op": event.data["op"],
            "table": f"main.{event.data['table']}",
            "lsn": event.data["lsn"],
            "position": "1",
        }
        assert (event.type_name, event.version, event.mimetype) == ("ChangeEvent", "1.0.0", 50)
    assert capture.stop() == 0, capture.log()
    # Acknowledged changes are drained from the log; the triggers stay.
    assert db.execute("SELECT count(*) FROM _ensign_changes").fetchone() == (0,)
    db.close()


def ledger_writer(path: Path, count: int, pause_s: float = 0.0) -> threading.Thread:
    """A thread committing ``count`` transactions: insert row i, add 1 to row i - 1."""

    def write() -> None:
        db = open_db(path)
        for i in range(1, count + 1):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO ledger VALUES (?, ?)", (i, i))
            db.execute("UPDATE ledger SET balance = balance + 1 WHERE id = ?", (i - 1,))
            db.execute("COMMIT")
            time.sleep(pause_s)
        db.close()

    return in_background(write)


def assert_ledger_once(events: list[StoredEvent], count: int) -> None:
    """Every change of :func:`ledger_writer` once, in commit order, with exact values."""
    assert_once_in_order(
        events, ledger_changes(count, lambda i: i), lambda e: (int(e.data["lsn"]), 1)
    )


def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    db = open_db(path)
    db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, balance INTEGER)")
    db.close()
    return path


def test_a_capture_killed_mid_stream_and_restarted_loses_nothing_and_stores_nothing_twice(
    tmp_path: Path, broker: BrokerProcess, key: dict[str, str]
) -> None:
    path = ledger(tmp_path)
    args = ("sqlite", "--path", str(path), "--table", "ledger", "--topic", "killed.sqlite")
    capture = start_capture(broker, key, *args)
    capture.wait_for(capturing, "the capture running")
    count = 600
    writer = ledger_writer(path, count, pause_s=0.001)
    for _ in range(2):
        capture.wait_for(lambda s: s.get("changes", 0) > 150, "changes published")
        assert capture.stop(signal.SIGKILL) == -signal.SIGKILL
        capture = start_capture(broker, key, *args)
        capture.wait_for(capturing, "the capture running again")
    writer.join(60)
    wait_for_events(broker, key, "killed.sqlite", 2 * count - 1)
    assert capture.stop() == 0, capture.log()
    assert_ledger_once(topic_events(broker, key, "killed.sqlite"), count)


def test_the_broker_restarted_under_a_running_capture_loses_nothing(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "broker")
    key = create_key(broker.data_dir, "capture", "all")
    path = ledger(tmp_path)
    capture = start_capture(broker, key, "sqlite", "--path", str(path), "--table", "ledger")
    try:
        capture.wait_for(capturing, "the capture running")
        count = 400
        writer = ledger_writer(path, count, pause_s=0.002)
        capture.wait_for(lambda s: s.get("changes", 0) > 100, "changes published")
        broker.stop(signal.SIGKILL)
        capture.wait_for(lambda s: s.get("state") == "waiting for the broker", "the broker missed")
        db = open_db(path)
        (logged,) = db.execute("SELECT count(*) FROM _ensign_changes").fetchone()
        assert logged > 0  # nothing acknowledged is drained while the broker is away
        db.close()
        auth = broker.auth_url.removeprefix("http://")
        broker = start_broker(broker.data_dir, listen=broker.grpc_address, auth_listen=auth)
        writer.join(60)
        wait_for_events(broker, key, "main.ledger", 2 * count - 1)
        assert capture.stop() == 0, capture.log()
        assert_ledger_once(topic_events(broker, key, "main.ledger"), count)
    finally:
        capture.stop(signal.SIGKILL)
        broker.stop()


def test_set_up_mistakes_are_clear_errors(
    tmp_path: Path, broker: BrokerProcess, key: dict[str, str]
) -> None:
    missing = tmp_path / "missing.db"
    code, log = run_capture(broker, key, "sqlite", "--path", str(missing), "--table", "t")
    assert code == 2 and f"no SQLite database at {missing}" in log

    junk = tmp_path / "junk.db"
    junk.write_text("not a database, just text " * 100)
    code, log = run_capture(broker, key, "sqlite", "--path", str(junk), "--table", "t")
    assert code == 2 and "cannot read" in log and "as a SQLite database" in log

    path = ledger(tmp_path)
    code, log = run_capture(broker, key, "sqlite", "--path", str(path), "--table", "nope")
    assert code == 2 and "has no table 'nope' (its tables: ledger)" in log
    assert log.startswith("ensign-broker capture: ")
