"""The event log's SQLite schema and connection settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from embedded_broker.core.errors import StorageError

DATABASE_FILE = "events.db"
SCHEMA_VERSION = 2
"""2: blocks store their random nonce (NULL in blocks written by version 1)."""

Durability = Literal["full", "normal"]
"""``full`` fsyncs every group commit (survives power loss); ``normal`` survives a killed
process but may lose the last commits on power loss."""

_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value
);
CREATE TABLE IF NOT EXISTS topics (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so old blocks never alias
    id BLOB NOT NULL UNIQUE,
    project_id BLOB NOT NULL,  -- a project of the directory in auth.db
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    dedup TEXT NOT NULL,
    events INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    first_ms INTEGER,
    last_ms INTEGER,
    types BLOB,
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS blocks (
    topic INTEGER NOT NULL,
    first_offset INTEGER NOT NULL,
    count INTEGER NOT NULL,
    first_id BLOB NOT NULL,
    last_ms INTEGER NOT NULL,
    payload BLOB NOT NULL,
    nonce BLOB,  -- 12 random bytes; NULL: first_id + 2 zero bytes (schema 1)
    PRIMARY KEY (topic, first_offset)
);
CREATE INDEX IF NOT EXISTS blocks_by_time ON blocks (topic, last_ms);
CREATE TABLE IF NOT EXISTS dedup (
    topic INTEGER NOT NULL,
    fingerprint BLOB NOT NULL,
    event_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, fingerprint)
) WITHOUT ROWID;
"""


def connect(path: Path, durability: Durability, *, writer: bool) -> sqlite3.Connection:
    """Open a connection to the event log with the project's pragmas.

    The writer creates the schema; readers only read. Transactions are explicit
    (``isolation_level=None``).
    """
    if writer and not path.exists():
        path.touch(mode=0o600)  # events are encrypted, but their sizes and times are not
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
        # Deleted content (destroyed topics) is overwritten, not left in free pages.
        conn.execute("PRAGMA secure_delete=ON")
        if writer:
            conn.execute("PRAGMA wal_autocheckpoint=4000")
            conn.executescript(_DDL)
            _check_version(conn, path)
        else:
            conn.execute("PRAGMA query_only=ON")
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open the event log {path}: {exc}") from exc
    return conn


def _check_version(conn: sqlite3.Connection, path: Path) -> None:
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        raise StorageError(
            f"{path} was written by a newer version (schema {row[0]}); upgrade to open it"
        )
    columns = {column[1] for column in conn.execute("PRAGMA table_info(blocks)")}
    if "nonce" not in columns:  # schema 1
        conn.execute("ALTER TABLE blocks ADD COLUMN nonce BLOB")
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
