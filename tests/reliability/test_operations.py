"""``ensign-broker check``, ``backup`` and ``restore``: on a killed publisher's directory, while a
broker serves and publishes, and on damage (a flipped bit, a lost tail, a truncated file)."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedded_broker.core.ids import new_ulid
from embedded_broker.proto.admin.v1 import admin_pb2
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.schema import DATABASE_FILE
from tests.api.client import connect, event
from tests.conftest import make_event
from tests.reliability.test_crash import _run_and_kill
from tests.serve_process import BrokerProcess, broker_command, create_key, start_broker

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

MARKER = b"PLAINTEXT-MARKER-"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        broker_command(*args),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def _store_with_events(data_dir: Path, blocks: int = 3, passphrase: str | None = None) -> bytes:
    with EventStore.open(data_dir, passphrase=passphrase) as store:
        topic = store.create_topic(new_ulid(), "orders")
        for block in range(blocks):
            store.publish(topic.id, [make_event(f"{block}-{i}") for i in range(10)]).result()
        return topic.id


def test_check_is_clean_after_sigkill_mid_publish(data_dir: Path) -> None:
    topic_id = _store_with_events(data_dir, 1)
    _run_and_kill(data_dir, topic_id, 1000, random.Random())
    checked = cli("check", "--data-dir", str(data_dir))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "intact: no damage found" in checked.stdout
    assert "AES-GCM tag" in checked.stdout and "gapless offsets" in checked.stdout


def test_a_flipped_bit_is_named_by_topic_and_offsets(data_dir: Path) -> None:
    _store_with_events(data_dir)
    conn = sqlite3.connect(data_dir / DATABASE_FILE)
    (payload,) = conn.execute("SELECT payload FROM blocks WHERE first_offset=11").fetchone()
    damaged = bytearray(payload)
    damaged[5] ^= 0x10
    conn.execute("UPDATE blocks SET payload=? WHERE first_offset=11", (bytes(damaged),))
    conn.commit()
    conn.close()
    checked = cli("check", "--data-dir", str(data_dir))
    assert checked.returncode == 1
    assert "DAMAGED: topic 'orders', offsets 11-20: the block failed authentication" in (
        checked.stdout
    )
    assert checked.stdout.count("DAMAGED") == 1


def test_a_lost_tail_is_named_by_topic_and_offsets(data_dir: Path) -> None:
    _store_with_events(data_dir)
    conn = sqlite3.connect(data_dir / DATABASE_FILE)
    conn.execute("DELETE FROM blocks WHERE first_offset=21")  # the last block: the tail
    conn.commit()
    conn.close()
    checked = cli("check", "--data-dir", str(data_dir))
    assert checked.returncode == 1
    assert "topic 'orders', offsets 21-30: missing: the log ends at offset 20" in checked.stdout


def test_a_truncated_event_log_file_is_reported(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "big")
        for _ in range(20):
            store.publish(topic.id, [make_event(os.urandom(4000)) for _ in range(50)]).result()
    path = data_dir / DATABASE_FILE
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    checked = cli("check", "--data-dir", str(data_dir))
    assert checked.returncode == 1
    assert "DAMAGED" in checked.stdout


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path / "broker")
    yield process
    assert process.stop() == 0, process.log()


def test_check_and_backup_while_serving_and_publishing(
    serving: BrokerProcess, tmp_path: Path
) -> None:
    """Every event acked before the backup comes back from it; it holds no plaintext and no
    master key."""
    client = connect(serving, create_key(serving.data_dir, "ops", "all"))
    topic = client.create_topic("t" + uuid.uuid4().hex[:8])
    acked: list[int] = []
    stop = threading.Event()

    def publish() -> None:
        seq = 0
        while not stop.is_set():
            batch = [event(MARKER + str(seq + i).encode()) for i in range(50)]
            request = admin_pb2.PublishBatchRequest(
                topic_id=topic.id, events=[e.SerializeToString() for e in batch]
            )
            client.admin.PublishBatch(request, metadata=client.auth)
            seq += 50
            acked.append(seq)

    publisher = threading.Thread(target=publish)
    publisher.start()
    try:
        while len(acked) < 20:
            stop.wait(0.05)
        checked = cli("check", "--data-dir", str(serving.data_dir))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        acked_before = acked[-1]
        backup = tmp_path / "backup"
        made = cli("backup", "--data-dir", str(serving.data_dir), str(backup))
        assert made.returncode == 0, made.stderr
        assert "the master key is not in the backup" in made.stdout
    finally:
        stop.set()
        publisher.join(30)
        client.close()
    files = {p.name for p in backup.iterdir()}
    assert files == {"events.db", "keyring.json", "auth.db", "groups.db", "backup.json"}
    assert all(p.stat().st_mode & 0o077 == 0 for p in backup.iterdir())
    assert MARKER not in b"".join(p.read_bytes() for p in backup.iterdir())

    restored = tmp_path / "restored"
    without_key = cli("restore", str(backup), "--data-dir", str(restored))
    assert without_key.returncode == 1 and "--master-key" in without_key.stderr
    assert not restored.exists()
    master = serving.data_dir / "master.key"
    done = cli("restore", str(backup), "--data-dir", str(restored), "--master-key", str(master))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact: no damage found" in done.stdout
    with EventStore.open(restored) as store:
        records = store.read(topic.id, 1, acked_before)
        assert len(records) == acked_before
        assert [r.event.data for r in records] == [
            MARKER + str(i).encode() for i in range(acked_before)
        ]


def test_a_passphrase_backup_opens_only_with_the_passphrase(tmp_path: Path) -> None:
    source, backup, restored = tmp_path / "source", tmp_path / "backup", tmp_path / "restored"
    secret = {"ENSIGN_BROKER_PASSPHRASE": "correct horse battery staple"}
    topic_id = _store_with_events(source, 1, secret["ENSIGN_BROKER_PASSPHRASE"])
    made = cli("backup", "--data-dir", str(source), str(backup))
    assert made.returncode == 0 and "only with ENSIGN_BROKER_PASSPHRASE" in made.stdout
    refused = cli("restore", str(backup), "--data-dir", str(restored))
    assert refused.returncode == 1 and "passphrase" in refused.stderr
    wrong = cli(
        "restore", str(backup), "--data-dir", str(restored), env={"ENSIGN_BROKER_PASSPHRASE": "x"}
    )
    assert wrong.returncode == 1 and not restored.exists()
    done = cli("restore", str(backup), "--data-dir", str(restored), env=secret)
    assert done.returncode == 0, done.stdout + done.stderr
    with EventStore.open(restored, passphrase=secret["ENSIGN_BROKER_PASSPHRASE"]) as store:
        assert len(store.read(topic_id)) == 10
