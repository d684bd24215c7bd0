from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from embedded_broker.core.errors import CorruptData, KeyUnavailable, NotFound
from embedded_broker.core.ids import RlidGenerator, new_ulid
from embedded_broker.crypto.keyring import KEYRING_FILE
from embedded_broker.crypto.master_key import MASTER_KEY_FILE
from embedded_broker.storage.blocks import block_aad
from embedded_broker.storage.event_store import EventStore
from embedded_broker.storage.schema import DATABASE_FILE
from tests.conftest import make_event


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def _flip_bit_in_block(data_dir: Path, first_offset: int = 1) -> None:
    conn = sqlite3.connect(data_dir / DATABASE_FILE)
    (payload,) = conn.execute(
        "SELECT payload FROM blocks WHERE first_offset=?", (first_offset,)
    ).fetchone()
    damaged = bytearray(payload)
    damaged[len(damaged) // 2] ^= 0x01
    conn.execute("UPDATE blocks SET payload=? WHERE first_offset=?", (bytes(damaged), first_offset))
    conn.commit()
    conn.close()


def test_no_plaintext_of_payloads_or_metadata_reaches_the_disk(data_dir: Path) -> None:
    payloads = [f"SECRET-PAYLOAD-{i:04d}-{os.urandom(4).hex()}".encode() for i in range(300)]
    values = [f"SECRET-META-{i:04d}-{os.urandom(4).hex()}" for i in range(300)]
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "t")
        for start in range(0, 300, 50):
            events = [
                make_event(payloads[i], {"customer": values[i]}, type_name="SecretTypeName")
                for i in range(start, start + 50)
            ]
            store.publish(topic.id, events).result()
        # Search while open (WAL and -shm present) and again after close.
        disk = _all_bytes(data_dir)
        for needle in [*payloads, *(v.encode() for v in values), b"SECRET-", b"SecretTypeName"]:
            assert needle not in disk
    disk = _all_bytes(data_dir)
    assert b"SECRET-" not in disk and b"SecretTypeName" not in disk
    with EventStore.open(data_dir) as store:  # and it all still decrypts
        assert [r.event.data for r in store.read(topic.id, 1, 300)] == payloads


def test_key_material_is_private(data_dir: Path) -> None:
    EventStore.open(data_dir).close()
    for name in (MASTER_KEY_FILE, KEYRING_FILE, DATABASE_FILE):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_a_flipped_bit_is_reported_as_corruption_not_returned(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "t")
        store.publish(topic.id, [make_event(f"first-{i}") for i in range(10)]).result()
        store.publish(topic.id, [make_event(f"second-{i}") for i in range(10)]).result()
    _flip_bit_in_block(data_dir, first_offset=1)
    with EventStore.open(data_dir) as store:
        with pytest.raises(CorruptData, match=r"events 1-10 of topic 't' failed authentication"):
            store.read(topic.id, 1)
        # The undamaged block stays readable.
        assert [r.event.data for r in store.read(topic.id, 11)] == [
            f"second-{i}".encode() for i in range(10)
        ]


def test_a_block_moved_to_another_place_fails_authentication(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "t")
        store.publish(topic.id, [make_event("a")]).result()
        store.publish(topic.id, [make_event("b")]).result()
    conn = sqlite3.connect(data_dir / DATABASE_FILE)
    rows = conn.execute("SELECT first_offset, payload FROM blocks ORDER BY first_offset").fetchall()
    conn.execute("UPDATE blocks SET payload=? WHERE first_offset=2", (rows[0][1],))
    conn.commit()
    conn.close()
    with EventStore.open(data_dir) as store, pytest.raises(CorruptData):
        store.read(topic.id, 2)


def test_destroy_makes_the_events_unreadable_even_from_an_old_copy(
    data_dir: Path, tmp_path: Path
) -> None:
    with EventStore.open(data_dir) as store:
        project = new_ulid()
        doomed = store.create_topic(project, "doomed")
        kept = store.create_topic(project, "kept")
        store.publish(doomed.id, [make_event(f"doomed-{i}") for i in range(50)]).result()
        store.publish(kept.id, [make_event("kept")]).result()
    backup = tmp_path / "backup-of-the-event-log"
    backup.mkdir()
    shutil.copy(data_dir / DATABASE_FILE, backup / DATABASE_FILE)
    wrapped = (data_dir / KEYRING_FILE).read_text()

    with EventStore.open(data_dir) as store:
        store.destroy_topic(doomed.id)
        with pytest.raises(NotFound):
            store.read(doomed.id)
        assert [t.name for t in store.topics(project)] == ["kept"]
        assert [r.event.data for r in store.read(kept.id)] == [b"kept"]
    assert doomed.id.hex() in json.loads(wrapped)["keys"]
    keyring = json.loads((data_dir / KEYRING_FILE).read_text())
    assert doomed.id.hex() not in keyring["keys"]
    assert keyring["destroyed"] == [doomed.id.hex()]
    assert json.loads(wrapped)["keys"][doomed.id.hex()] not in (data_dir / KEYRING_FILE).read_text()
    conn = sqlite3.connect(backup / DATABASE_FILE)
    doomed_blocks = [row[0] for row in conn.execute("SELECT payload FROM blocks WHERE topic=1")]
    conn.close()
    disk = _all_bytes(data_dir)
    assert doomed_blocks and not any(block[:64] in disk for block in doomed_blocks)

    # Put the old copy of the event log back: the topic's blocks are there, its key is not.
    shutil.copy(backup / DATABASE_FILE, data_dir / DATABASE_FILE)
    with EventStore.open(data_dir) as store:
        assert [t.name for t in store.topics(project)] == ["kept"]
        with pytest.raises(NotFound):
            store.read(doomed.id)
    conn = sqlite3.connect(data_dir / DATABASE_FILE)
    assert conn.execute("SELECT count(*) FROM topics WHERE name='doomed'").fetchone() == (0,)
    conn.close()


def test_passphrase_protected_store(data_dir: Path) -> None:
    with EventStore.open(data_dir, passphrase="correct horse battery staple") as store:
        topic = store.create_topic(new_ulid(), "t")
        store.publish(topic.id, [make_event("guarded")]).result()
    assert not (data_dir / MASTER_KEY_FILE).exists()
    with pytest.raises(KeyUnavailable, match="passphrase is wrong"):
        EventStore.open(data_dir, passphrase="wrong")
    with pytest.raises(KeyUnavailable, match="ENSIGN_BROKER_PASSPHRASE"):
        EventStore.open(data_dir)
    with EventStore.open(data_dir, passphrase="correct horse battery staple") as store:
        assert store.read(topic.id)[0].event.data == b"guarded"


def test_a_missing_master_key_is_a_clear_error_not_a_new_key(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        store.create_topic(new_ulid(), "t")
    (data_dir / MASTER_KEY_FILE).unlink()
    with pytest.raises(KeyUnavailable, match=r"master key file .* is missing"):
        EventStore.open(data_dir)
    assert not (data_dir / MASTER_KEY_FILE).exists()


def test_a_different_master_key_is_refused(data_dir: Path) -> None:
    EventStore.open(data_dir).close()
    (data_dir / MASTER_KEY_FILE).write_bytes(os.urandom(32))
    with pytest.raises(KeyUnavailable, match="does not match"):
        EventStore.open(data_dir)


def test_a_lost_keyring_is_reported_not_taken_as_an_empty_one(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "t")
        store.publish(topic.id, [make_event("precious")]).result()
    saved = (data_dir / KEYRING_FILE).read_bytes()
    (data_dir / KEYRING_FILE).unlink()
    with pytest.raises(KeyUnavailable, match=r"keyring .* is missing but the event log holds"):
        EventStore.open(data_dir)
    (data_dir / KEYRING_FILE).write_bytes(saved)  # restored from a backup: nothing was lost
    with EventStore.open(data_dir) as store:
        assert store.read(topic.id)[0].event.data == b"precious"


def test_a_keyring_older_than_the_log_is_reported_and_deletes_nothing(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        project = new_ulid()
        store.create_topic(project, "old")
        older = (data_dir / KEYRING_FILE).read_bytes()
        newer = store.create_topic(project, "newer")
        store.publish(newer.id, [make_event("recent")]).result()
    current = (data_dir / KEYRING_FILE).read_bytes()
    (data_dir / KEYRING_FILE).write_bytes(older)
    with pytest.raises(KeyUnavailable, match="no key for topic\\(s\\) 'newer'"):
        EventStore.open(data_dir)
    (data_dir / KEYRING_FILE).write_bytes(current)
    with EventStore.open(data_dir) as store:
        assert store.read(newer.id)[0].event.data == b"recent"


class _FrozenRlids(RlidGenerator):
    """Hands out the same ids in every copy: two copies of one directory, started together."""

    def next_block(self, count: int, ms: int | None = None) -> tuple[int, int]:
        return super().next_block(count, 1_800_000_000_000)


def test_a_copy_running_beside_the_original_never_repeats_a_nonce(
    data_dir: Path, tmp_path: Path
) -> None:
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "twins")
    copy = tmp_path / "snapshot"
    shutil.copytree(data_dir, copy)
    stored = []
    for directory in (data_dir, copy):
        with EventStore.open(directory) as store:
            store._rlids = _FrozenRlids()
            receipt = store.publish(topic.id, [make_event("same id, other data")]).result()
            assert store.read(topic.id)[0].event.data == b"same id, other data"
            stored.append(receipt.ids[0])
        conn = sqlite3.connect(directory / "events.db")
        stored += conn.execute("SELECT nonce FROM blocks").fetchone()
        conn.close()
    original_id, original_nonce, copy_id, copy_nonce = stored
    assert original_id == copy_id  # the same event id under the same topic key ...
    assert len(original_nonce) == len(copy_nonce) == 12
    assert original_nonce != copy_nonce  # ... but never the same nonce


def test_blocks_written_before_nonces_were_stored_still_open(data_dir: Path) -> None:
    with EventStore.open(data_dir) as store:
        topic = store.create_topic(new_ulid(), "legacy")
        store.publish(topic.id, [make_event(f"old {i}") for i in range(3)]).result()
        entry = store._catalog.get(topic.id)
    # Re-seal the block as schema 1 did: nonce = first id + two zero bytes, none stored.
    conn = sqlite3.connect(data_dir / "events.db")
    first, count, first_id, nonce, sealed = conn.execute(
        "SELECT first_offset, count, first_id, nonce, payload FROM blocks"
    ).fetchone()
    plain = entry.keys.blocks.open(nonce, sealed, block_aad(topic.id, first, count), "block")
    legacy = entry.keys.blocks.seal(first_id + b"\0\0", plain, block_aad(topic.id, first, count))
    conn.execute("UPDATE blocks SET nonce=NULL, payload=?", (legacy,))
    conn.execute("UPDATE meta SET value=1 WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with EventStore.open(data_dir) as store:
        assert [r.event.data for r in store.read(topic.id)] == [b"old 0", b"old 1", b"old 2"]
        store.publish(topic.id, [make_event("new")]).result()
        assert store.read(topic.id, 4)[0].event.data == b"new"
