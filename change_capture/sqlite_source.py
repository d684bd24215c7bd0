"""Changes from a SQLite file: triggers write a change log, which the capture drains.

For each captured table the capture (re)installs three triggers, ``AFTER INSERT``, ``UPDATE``
and ``DELETE``, each of which appends a row to the change log table :data:`LOG_TABLE`: the
table, the operation, the old and new rows and the time. The triggers run inside the writing
transaction, so a transaction that is rolled back leaves nothing in the log, and the log's
``seq`` (``AUTOINCREMENT``: never reused) follows commit order, SQLite having one writer at a time.

A row's values are written as JSON with their SQLite storage class, so that nothing is lost on
the way: ``{"col": ["integer", 5], "price": ["real", "0.10000000000000001"], "photo": ["blob",
"FFD8…"]}`` (a real as 17 significant digits, a blob as hex); the capture turns them into the
change event's JSON (integers and reals as numbers, blobs as base64, text as text, NULL null).

The drain position is the log itself: a change is deleted from it once the broker has
acknowledged it, so a capture that stops (or is killed) before that sends it again on its next
start, with the same key (``lsn`` is the change's ``seq``, ``position`` 1), and the topic's
deduplication flags the repeat. Triggers installed by an earlier start are replaced, so a column
added since is captured from then on.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from change_capture.capture_loop import Boundary, SetupError, SourceLost
from change_capture.change_events import Change, Row

LOG_TABLE = "_ensign_changes"
TRIGGER_PREFIX = "_ensign_capture_"
BUSY_TIMEOUT_MS = 5000
COLUMNS_PER_OBJECT = 40
"""Columns per ``json_object`` call (SQLite allows 127 arguments a function by default)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_json(alias: str, columns: Sequence[str]) -> str:
    """SQL that writes ``alias``'s row (NEW or OLD) as JSON of [storage class, value] pairs."""
    parts = []
    for start in range(0, len(columns), COLUMNS_PER_OBJECT):
        pairs = []
        for column in columns[start : start + COLUMNS_PER_OBJECT]:
            ref = f"{alias}.{_quote(column)}"
            value = (
                f"CASE typeof({ref}) WHEN 'real' THEN printf('%!.17g', {ref}) "
                f"WHEN 'blob' THEN hex({ref}) ELSE {ref} END"
            )
            literal = "'" + column.replace("'", "''") + "'"
            pairs.append(f"{literal}, json_array(typeof({ref}), {value})")
        parts.append(f"json_object({', '.join(pairs)})")
    row = parts[0]
    for part in parts[1:]:
        row = f"json_patch({row}, {part})"
    return row


def trigger_statements(table: str, columns: Sequence[str]) -> list[str]:
    """The statements that (re)install a table's three capture triggers."""
    statements = []
    now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    for op, old, new in (
        ("insert", "NULL", _row_json("NEW", columns)),
        ("update", _row_json("OLD", columns), _row_json("NEW", columns)),
        ("delete", _row_json("OLD", columns), "NULL"),
    ):
        name = _quote(f"{TRIGGER_PREFIX}{table}_{op}")
        literal = "'" + table.replace("'", "''") + "'"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {_quote(table)} BEGIN "
            f"INSERT INTO {LOG_TABLE} (tbl, op, before, after, at) "
            f"VALUES ({literal}, '{op}', {old}, {new}, {now}); END"
        )
    return statements


def _value(pair: list[Any]) -> Any:
    storage, value = pair
    if storage == "real":
        return float(value)
    if storage == "blob":
        return base64.b64encode(bytes.fromhex(value)).decode("ascii")
    return value


def _row(text: str | None) -> Row | None:
    if text is None:
        return None
    return {name: _value(pair) for name, pair in json.loads(text).items()}


def _iso_ms(text: str) -> int:
    """Milliseconds since the epoch of ``2024-05-01T10:00:00.123Z``."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class SqliteSource:
    """A SQLite file's change log, for the chosen tables (a :class:`Source`)."""

    def __init__(self, path: Path, tables: Sequence[str]) -> None:
        self.path = path
        self.tables = list(tables)
        self._conn: sqlite3.Connection | None = None
        self._read_up_to = 0
        self._confirmed = 0
        self._pending_delete = 0

    def open(self) -> None:
        """Check the file and tables, create the change log, (re)install the triggers.

        Raises:
            SetupError: for a missing or unreadable file, a missing table, or a file the
                capture cannot write to.
        """
        if not self.path.is_file():
            raise SetupError(f"no SQLite database at {self.path}")
        try:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=rw",
                uri=True,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            known = {
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except sqlite3.Error as exc:
            raise SetupError(f"cannot read {self.path} as a SQLite database: {exc}") from None
        for table in self.tables:
            if table == LOG_TABLE or table not in known:
                listed = ", ".join(
                    sorted(n for n in known if not n.startswith(("sqlite_", "_ensign")))
                )
                conn.close()
                raise SetupError(
                    f"{self.path} has no table {table!r} (its tables: {listed or 'none'})"
                )
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                "tbl TEXT NOT NULL, op TEXT NOT NULL, before TEXT, after TEXT, at TEXT NOT NULL)"
            )
            for table in self.tables:
                columns = [row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")]
                for statement in trigger_statements(table, columns):
                    conn.execute(statement)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.close()
            raise SetupError(
                f"cannot install the capture's triggers in {self.path}: {exc}"
            ) from None
        self._conn = conn
        self._read_up_to = self._confirmed = 0

    def _filter(self) -> tuple[str, list[str]]:
        marks = ", ".join("?" for _ in self.tables)
        return f"tbl IN ({marks})", list(self.tables)

    def read(self, wait_s: float, limit: int) -> list[Change | Boundary]:
        """Changes logged after the last one read, oldest first."""
        assert self._conn is not None
        where, args = self._filter()
        deadline = time.monotonic() + wait_s
        while True:
            try:
                rows = self._conn.execute(
                    f"SELECT seq, tbl, op, before, after, at FROM {LOG_TABLE} "
                    f"WHERE seq > ? AND {where} ORDER BY seq LIMIT ?",
                    [self._read_up_to, *args, limit],
                ).fetchall()
            except sqlite3.Error as exc:
                raise SourceLost(f"cannot read the change log: {exc}") from None
            if rows or time.monotonic() >= deadline:
                break
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
        out: list[Change | Boundary] = []
        for seq, table, op, before, after, at in rows:
            committed_ms = _iso_ms(at)
            out.append(
                Change(
                    op,
                    "main",
                    table,
                    _row(before),
                    _row(after),
                    str(seq),
                    1,
                    None,
                    at,
                    committed_ms,
                )
            )
            out.append(Boundary(seq, committed_ms))
            self._read_up_to = seq
        return out

    def confirm(self, token: object) -> None:
        """Delete the acknowledged changes from the log."""
        assert self._conn is not None and isinstance(token, int)
        where, args = self._filter()
        try:
            self._conn.execute(
                f"DELETE FROM {LOG_TABLE} WHERE seq <= ? AND {where}", [token, *args]
            )
        except sqlite3.OperationalError:
            return  # busy: the next confirmation deletes these too
        self._confirmed = token

    def keep_alive(self) -> None:
        """Nothing to keep alive: a SQLite file does not time out."""

    def reopen(self) -> None:
        """Open the file again."""
        self.close()
        try:
            self.open()
        except SetupError as exc:
            raise SourceLost(str(exc)) from None

    def describe(self) -> str:
        """The file and where its change log starts."""
        return f"{self.path} (change log {LOG_TABLE})"

    def position_text(self, token: object) -> str:
        """``change 42``."""
        return f"change {token}"

    def behind(self) -> tuple[int, str]:
        """Changes in the log not yet acknowledged."""
        if self._conn is None:
            return 0, "changes"
        where, args = self._filter()
        try:
            (count,) = self._conn.execute(
                f"SELECT count(*) FROM {LOG_TABLE} WHERE seq > ? AND {where}",
                [self._confirmed, *args],
            ).fetchone()
        except sqlite3.Error:
            return 0, "changes"
        return int(count), "changes"

    def close(self) -> None:
        """Close the file (the triggers stay, and keep logging changes for the next start)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
