"""``ensign-broker check``: verify every stored block of a data directory, read-only.

It takes no lock and writes nothing, so it runs while a broker serves the directory: each topic
is read inside one read transaction of its own (SQLite's WAL gives it a consistent snapshot, and
the broker's writer goes on meanwhile). What it checks:

- SQLite's own ``quick_check`` of the event log (pages, indexes, a truncated file);
- the keyring opens with the master key, and holds a key for every topic;
- every block's AES-GCM tag (a flipped bit, a block moved to another place or topic);
- every block's framing (each event's header and length, exactly ``count`` events, ids
  increasing) and its recorded first id and time;
- offsets without gaps from 1, blocks that end where the topic's record says its events end (a
  lost tail: the record counts events that no block holds), and the record's byte count.

Damage is reported per topic as offset ranges; nothing is repaired.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from embedded_broker.core.errors import CorruptData, StorageError
from embedded_broker.core.ids import rlid_ms, ulid_str
from embedded_broker.crypto.keyring import Keyring
from embedded_broker.storage.blocks import HEADER_SIZE, open_block, unpack_header
from embedded_broker.storage.schema import DATABASE_FILE
from embedded_broker.storage.topic_catalog import TopicKeys

_BLOCKS_PER_FETCH = 64


@dataclass(frozen=True, slots=True)
class Damage:
    """A range of a topic's offsets that cannot be read as stored."""

    topic: str
    first_offset: int
    last_offset: int
    reason: str

    def __str__(self) -> str:
        span = (
            f"offset {self.first_offset}"
            if self.first_offset == self.last_offset
            else f"offsets {self.first_offset}-{self.last_offset}"
        )
        return f"topic {self.topic!r}, {span}: {self.reason}"


@dataclass(slots=True)
class CheckReport:
    """What a check looked at and what it found."""

    topics: int = 0
    blocks: int = 0
    events: int = 0
    bytes: int = 0
    seconds: float = 0.0
    damage: list[Damage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Damage that belongs to no offset range (the database file, the keyring)."""

    @property
    def intact(self) -> bool:
        """True when nothing is damaged."""
        return not self.damage and not self.problems


def check_data_dir(data_dir: Path, passphrase: str | None = None) -> CheckReport:
    """Verify every block of the event log in ``data_dir`` (see the module docstring).

    Raises:
        KeyUnavailable: if the master key is missing or the passphrase wrong (nothing can be
            verified without it).
        StorageError: if there is no event log in ``data_dir``, or it cannot be opened (a
            read-only directory: SQLite must create ``events.db-shm`` beside a WAL database
            to read it), which says nothing of damage.
    """
    began = time.monotonic()
    report = CheckReport()
    path = data_dir / DATABASE_FILE
    if not path.exists():
        raise StorageError(f"{data_dir} holds no event log ({DATABASE_FILE})")
    keyring = Keyring.open(data_dir, passphrase, may_create=False)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA query_only=ON")
        _require_readable(conn, path)
        try:
            verdict = [row[0] for row in conn.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as exc:
            verdict = [str(exc)]
        if verdict != ["ok"]:
            report.problems.append(f"the event log's SQLite check failed: {'; '.join(verdict)}")
        try:
            topics = conn.execute("SELECT seq, id, name FROM topics ORDER BY name").fetchall()
        except sqlite3.DatabaseError as exc:
            report.problems.append(f"the topics cannot be read: {exc}")
            topics = []
        keyed = keyring.topic_ids()
        for seq, topic_id, name in topics:
            report.topics += 1
            if topic_id not in keyed:
                if not keyring.was_destroyed(topic_id):
                    report.problems.append(
                        f"topic {name!r} ({ulid_str(topic_id)}) has no key in the keyring"
                    )
                continue
            keys = TopicKeys.from_data_key(keyring.data_key(topic_id))
            try:
                _check_topic(conn, report, seq, topic_id, keys)
            except sqlite3.DatabaseError as exc:
                report.problems.append(f"topic {name!r} cannot be read: {exc}")
    finally:
        conn.close()
    report.seconds = time.monotonic() - began
    return report


def _require_readable(conn: sqlite3.Connection, path: Path) -> None:
    """Raise if SQLite cannot open ``path`` at all: that is a setting, not damage to report."""
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", 0)
        if code & 0xFF == sqlite3.SQLITE_CANTOPEN:
            raise StorageError(
                f"cannot read {path}: {exc} (is the data directory writable? SQLite creates "
                f"{path.name}-shm beside it to read it)"
            ) from exc
        # anything else is the quick check's to report


def _check_topic(
    conn: sqlite3.Connection, report: CheckReport, seq: int, topic_id: bytes, keys: TopicKeys
) -> None:
    conn.execute("BEGIN")  # one snapshot: the topic's record and its blocks agree in it
    try:
        name, recorded_events, recorded_bytes = conn.execute(
            "SELECT name, events, bytes FROM topics WHERE seq=?", (seq,)
        ).fetchone()
        expected, size, after = 1, 0, 0
        while True:
            rows = conn.execute(
                "SELECT first_offset, count, first_id, last_ms, nonce, payload FROM blocks "
                "WHERE topic=? AND first_offset>=? ORDER BY first_offset LIMIT ?",
                (seq, after, _BLOCKS_PER_FETCH),
            ).fetchall()
            for first, count, first_id, last_ms, nonce, sealed in rows:
                report.blocks += 1
                if first > expected:
                    report.damage.append(
                        Damage(name, expected, first - 1, "missing: no block holds them")
                    )
                elif first < expected:
                    report.damage.append(
                        Damage(name, first, expected - 1, "stored twice: blocks overlap")
                    )
                last = first + count - 1
                try:
                    plain = open_block(
                        keys.blocks, topic_id, name, first, count, first_id, nonce, sealed
                    )
                    size += _check_framing(plain, first, count, first_id, last_ms)
                except CorruptData:
                    report.damage.append(
                        Damage(name, first, last, "the block failed authentication")
                    )
                except _BadFraming as exc:
                    report.damage.append(Damage(name, first, last, str(exc)))
                report.events += count
                expected = max(expected, last + 1)
            if len(rows) < _BLOCKS_PER_FETCH:
                break
            after = rows[-1][0] + 1
    finally:
        conn.execute("COMMIT")
    report.bytes += size
    if expected - 1 < recorded_events:
        report.damage.append(
            Damage(
                name,
                expected,
                recorded_events,
                f"missing: the log ends at offset {expected - 1} but the topic records "
                f"{recorded_events} events (a lost tail)",
            )
        )
    elif expected - 1 > recorded_events:
        report.damage.append(
            Damage(
                name,
                recorded_events + 1,
                expected - 1,
                f"stored beyond the {recorded_events} events the topic records",
            )
        )
    elif size != recorded_bytes and not report.damage:
        report.problems.append(
            f"topic {name!r} records {recorded_bytes:,} bytes of events; its blocks hold {size:,}"
        )


class _BadFraming(Exception):
    """A block opened, but its contents are not the events its row describes."""


def _check_framing(plain: bytes, first: int, count: int, first_id: bytes, last_ms: int) -> int:
    """Walk a block's events; return their total size.

    Raises:
        _BadFraming: naming what is wrong.
    """
    pos, seen, previous, size, end = 0, 0, b"", 0, len(plain)
    while pos < end:
        if pos + HEADER_SIZE > end:
            raise _BadFraming("the block ends inside an event's header")
        event_id, duplicate_of, length = unpack_header(plain, pos)
        pos += HEADER_SIZE + length
        if pos > end:
            raise _BadFraming("the block ends inside an event")
        if seen == 0 and event_id != first_id:
            raise _BadFraming("the block's first event id differs from its record")
        if event_id <= previous:
            raise _BadFraming("event ids do not increase")
        if duplicate_of >= first + seen:
            raise _BadFraming("an event is marked as a duplicate of a later event")
        previous, size, seen = event_id, size + length, seen + 1
    if seen != count:
        raise _BadFraming(f"the block holds {seen} events; its record says {count}")
    if seen and rlid_ms(previous) != last_ms:
        raise _BadFraming("the block's last commit time differs from its record")
    return size


def describe(report: CheckReport, data_dir: Path) -> str:
    """The report as the ``check`` command prints it."""
    lines = [
        f"checked {data_dir}: {report.topics} topics, {report.blocks:,} blocks, "
        f"{report.events:,} events ({report.bytes:,} bytes) in {report.seconds:.1f} s",
        "  SQLite quick_check of the event log; the keyring and a key for every topic;",
        "  every block's AES-GCM tag and framing; gapless offsets from 1; each topic's record",
        "  (its events, bytes and end) against its blocks",
    ]
    if report.intact:
        lines.append("intact: no damage found")
    for problem in report.problems:
        lines.append(f"DAMAGED: {problem}")
    for damage in report.damage:
        lines.append(f"DAMAGED: {damage}")
    return "\n".join(lines)
