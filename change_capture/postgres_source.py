"""Changes from PostgreSQL through a logical replication slot, decoded with ``pgoutput``.

Set-up, in this order, each mistake reported as a :class:`SetupError` that says what to do:
the server's ``wal_level`` must be ``logical``; the user needs the REPLICATION attribute (or to
be a superuser); each table must exist and have a primary key or a replica identity; the slot, if
it exists, must be a ``pgoutput`` slot of this database that no other process is using. The
capture then makes sure a publication named like the slot lists the tables (creating it, or
adding the missing ones), creates the slot if it is new, and streams from it.

The slot keeps the capture's place: the server sends again whatever follows the slot's confirmed
position, and the capture confirms a transaction's end only once the broker has acknowledged its
changes (see :mod:`change_capture.capture_loop`).

With ``snapshot``, a new slot starts with the tables' rows as they were at the slot's start: the
slot is first created as a temporary one that exports its snapshot, the rows are read in that
snapshot (``op`` ``read``, ``lsn`` the slot's start, ``position`` 1, 2, … across the tables), and
only once the broker has them all is the slot copied to its permanent name. A capture stopped
during a snapshot leaves no slot behind, and the next start takes the snapshot again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from change_capture.capture_loop import Boundary, SetupError, SourceLost
from change_capture.change_events import Change, Row
from change_capture.pg_values import SESSION_OPTIONS, TYPE_QUERY, ColumnType, TypeCatalog, to_json
from change_capture.pgoutput import (
    UNCHANGED,
    Begin,
    Commit,
    DecodeError,
    Relation,
    RowChange,
    Unchanged,
    Value,
    decode,
    format_lsn,
    parse_lsn,
    pg_time_ms,
    pg_time_text,
)

log = logging.getLogger(__name__)

PLUGIN = "pgoutput"
STATUS_INTERVAL_S = 10
SNAPSHOT_FETCH_ROWS = 2000
CONNECT_TIMEOUT_S = 10
READ_BUDGET_S = 0.05
"""How long one read keeps taking messages that are already there before it returns them."""


@dataclass(frozen=True, slots=True)
class TableName:
    """A table to capture: ``schema.table``."""

    schema: str
    name: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """``public.accounts`` (or ``accounts``, in ``public``).

        Raises:
            ValueError: for an empty part.
        """
        schema, _, name = text.rpartition(".")
        schema = schema or "public"
        if not name or not schema:
            raise ValueError(f"not a table name: {text!r}; write SCHEMA.TABLE")
        return cls(schema, name)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    def sql(self) -> sql.Composed:
        """The name quoted for SQL."""
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))


@dataclass(frozen=True, slots=True)
class _Table:
    relation: Relation
    types: tuple[ColumnType, ...]
    captured: bool


class _SnapshotDone:
    """The token of the boundary after a snapshot's last row."""


SNAPSHOT_DONE = _SnapshotDone()


class PostgresSource:
    """A replication slot's changes to the chosen tables (a :class:`Source`)."""

    def __init__(
        self, dsn: str, tables: Sequence[TableName], slot: str, snapshot: bool = False
    ) -> None:
        """Args:
        dsn: a libpq connection string or URI.
        tables: the tables to capture.
        slot: the replication slot's name (also the publication's).
        snapshot: start a new slot with the tables' current rows.
        """
        self.dsn = dsn
        self.tables = list(tables)
        self.slot = slot
        self.snapshot_wanted = snapshot
        self.slot_created = False
        self.start_lsn = 0
        self._sql: Any = None
        self._repl: Any = None
        self._cursor: Any = None
        self._catalog = TypeCatalog()
        self._relations: dict[int, _Table] = {}
        self._wanted = {(t.schema, t.name) for t in self.tables}
        self._begin: Begin | None = None
        self._transaction = ("", "", 0)
        """The current transaction's commit LSN, commit time (RFC 3339) and commit time (ms)."""
        self._position = 0
        self._last_token = 0
        self._confirmed = 0
        self._snapshot: Iterator[Change] | None = None
        self._snapshot_conn: Any = None
        self._temporary_slot = ""

    # -- opening --------------------------------------------------------------------------------

    def open(self) -> None:
        """Check the set-up, make the publication and the slot, and start streaming (or the
        snapshot).

        Raises:
            SetupError: for each set-up mistake, and when the server cannot be reached.
        """
        self._sql = _connect(self.dsn)
        self._check_server()
        self._check_tables()
        self._catalog = TypeCatalog(self._query(TYPE_QUERY))
        existing = self._existing_slot()
        self._ensure_publication()
        self._repl = _connect(self.dsn, replication=True)
        self._cursor = self._repl.cursor()
        if existing:
            if self.snapshot_wanted:
                log.info(
                    "slot %s exists: resuming from it with no snapshot (drop the slot to take one)",
                    self.slot,
                )
            self._start_streaming()
        elif self.snapshot_wanted:
            self._start_snapshot()
        else:
            self._cursor.create_replication_slot(self.slot, output_plugin=PLUGIN)
            self.slot_created = True
            self._start_streaming()

    def _query(self, query: str | sql.Composable, args: Sequence[object] = ()) -> list[Any]:
        with self._sql.cursor() as cur:
            cur.execute(query, args)
            return list(cur.fetchall())

    def _check_server(self) -> None:
        (level,) = self._query("SHOW wal_level")[0]
        if level != "logical":
            raise SetupError(
                f"the server's wal_level is {level!r}, and logical decoding needs 'logical': run "
                "ALTER SYSTEM SET wal_level = logical (as a superuser) and restart PostgreSQL"
            )
        user, replication, superuser = self._query(
            "SELECT rolname, rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user"
        )[0]
        if not (replication or superuser):
            raise SetupError(
                f"the user {user!r} lacks the REPLICATION attribute that reading a replication "
                f'slot needs: run ALTER ROLE "{user}" REPLICATION (as a superuser)'
            )

    def _check_tables(self) -> None:
        for table in self.tables:
            rows = self._query(
                "SELECT c.relkind, c.relreplident, EXISTS (SELECT 1 FROM pg_index i "
                "WHERE i.indrelid = c.oid AND i.indisprimary) FROM pg_class c JOIN pg_namespace "
                "n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
                (table.schema, table.name),
            )
            if not rows:
                database = self._sql.info.dbname
                raise SetupError(f"the database {database!r} has no table {table}")
            kind, identity, has_primary_key = rows[0]
            if kind not in ("r", "p"):
                raise SetupError(f"{table} is not a table (relkind {kind!r}): only tables change")
            if identity == "n" or (identity == "d" and not has_primary_key):
                raise SetupError(
                    f"{table} has no primary key and no replica identity, so PostgreSQL cannot "
                    f"say which row an update or delete changed: add a primary key, or run ALTER "
                    f"TABLE {table} REPLICA IDENTITY FULL"
                )

    def _existing_slot(self) -> bool:
        rows = self._query(
            "SELECT plugin, slot_type, database, active_pid FROM pg_replication_slots "
            "WHERE slot_name = %s",
            (self.slot,),
        )
        if not rows:
            return False
        plugin, kind, database, active_pid = rows[0]
        if kind != "logical" or plugin != PLUGIN:
            raise SetupError(
                f"the slot {self.slot!r} is a {kind} slot with plugin {plugin!r}; captures need a "
                f"logical {PLUGIN} slot: give another --slot"
            )
        if database != self._sql.info.dbname:
            raise SetupError(
                f"the slot {self.slot!r} belongs to the database {database!r}: give another --slot"
            )
        if active_pid:
            raise SetupError(
                f"the slot {self.slot!r} is in use by server process {active_pid} (another "
                "capture?): stop it, or give another --slot"
            )
        return True

    def _ensure_publication(self) -> None:
        name = sql.Identifier(self.slot)
        listed = {
            (schema, table)
            for schema, table in self._query(
                "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s",
                (self.slot,),
            )
        }
        exists = bool(self._query("SELECT 1 FROM pg_publication WHERE pubname = %s", (self.slot,)))
        missing = [t for t in self.tables if (t.schema, t.name) not in listed]
        if exists and not missing:
            return
        tables = sql.SQL(", ").join(t.sql() for t in missing)
        if exists:
            statement = sql.SQL("ALTER PUBLICATION {} ADD TABLE {}").format(name, tables)
        else:
            statement = sql.SQL(
                "CREATE PUBLICATION {} FOR TABLE {} WITH (publish = 'insert, update, delete')"
            ).format(name, tables)
        try:
            self._query_no_result(statement)
        except psycopg2.Error as exc:
            text = statement.as_string(self._sql)
            raise SetupError(
                f"cannot {'change' if exists else 'create'} the publication {self.slot!r} "
                f"({_first_line(exc)}): run {text} as the tables' owner"
            ) from None
        log.info("publication %s lists %s", self.slot, ", ".join(map(str, missing)))

    def _query_no_result(self, statement: sql.Composable) -> None:
        with self._sql.cursor() as cur:
            cur.execute(statement)

    # -- snapshot -------------------------------------------------------------------------------

    def _start_snapshot(self) -> None:
        self._temporary_slot = f"{self.slot}_snapshot_{os.getpid()}"[:63]
        self._cursor.execute(
            sql.SQL("CREATE_REPLICATION_SLOT {} TEMPORARY LOGICAL {} EXPORT_SNAPSHOT").format(
                sql.Identifier(self._temporary_slot), sql.Identifier(PLUGIN)
            )
        )
        _, consistent_point, snapshot_name, _ = self._cursor.fetchone()
        self.start_lsn = parse_lsn(consistent_point)
        conn = _connect(self.dsn)
        conn.autocommit = False
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION SNAPSHOT %s", (snapshot_name,))
        self._snapshot_conn = conn
        self._snapshot = self._snapshot_rows(conn, consistent_point)
        log.info(
            "taking a snapshot of %s at %s", ", ".join(map(str, self.tables)), consistent_point
        )

    def _snapshot_rows(self, conn: Any, lsn: str) -> Iterator[Change]:
        position = 0
        for table in self.tables:
            columns = self._query(
                "SELECT a.attname, a.atttypid FROM pg_attribute a WHERE a.attrelid = %s::regclass "
                "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                (table.sql().as_string(self._sql),),
            )
            names = [name for name, _ in columns]
            types = [self._catalog.column_type(oid) for _, oid in columns]
            select_list = sql.SQL(", ").join(
                sql.SQL("{}::text").format(sql.Identifier(n)) for n in names
            )
            query = sql.SQL("SELECT {} FROM {}").format(select_list, table.sql())
            with conn.cursor(name=f"snapshot_{len(names)}_{position}") as cur:
                cur.itersize = SNAPSHOT_FETCH_ROWS
                cur.execute(query)
                for values in cur:
                    position += 1
                    after = {n: to_json(t, v) for n, t, v in zip(names, types, values, strict=True)}
                    yield Change(
                        "read", table.schema, table.name, None, after, lsn, position, None, None
                    )

    def _finish_snapshot(self) -> None:
        """The broker has every snapshot row: make the slot permanent and start streaming."""
        self._snapshot_conn.rollback()
        self._snapshot_conn.close()
        self._snapshot_conn = None
        self._query(
            "SELECT pg_copy_logical_replication_slot(%s, %s, false)",
            (self._temporary_slot, self.slot),
        )
        self.slot_created = True
        self._start_streaming()

    # -- streaming ------------------------------------------------------------------------------

    def _start_streaming(self) -> None:
        self._relations.clear()
        self._begin = None
        rows = self._query(
            "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = %s",
            (self.slot,),
        )
        self._confirmed = self._last_token = parse_lsn(rows[0][0]) if rows and rows[0][0] else 0
        self.start_lsn = self.start_lsn or self._confirmed
        try:
            self._cursor.start_replication(
                slot_name=self.slot,
                decode=False,
                options={"proto_version": "1", "publication_names": self.slot},
                status_interval=STATUS_INTERVAL_S,
            )
        except psycopg2.errors.ObjectInUse as exc:
            raise SetupError(
                f"the slot {self.slot!r} is in use ({_first_line(exc)}): stop the other capture, "
                "or give another --slot"
            ) from None

    def read(self, wait_s: float, limit: int) -> list[Change | Boundary]:
        """What the slot has now (a :class:`~change_capture.capture_loop.Source` method)."""
        if self._snapshot is not None:
            return self._read_snapshot(limit)
        if self._snapshot_conn is not None:  # the snapshot's rows are not all acknowledged yet
            time.sleep(wait_s)
            return []
        try:
            return self._read_stream(wait_s, limit)
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            raise SourceLost(_first_line(exc)) from None

    def _read_snapshot(self, limit: int) -> list[Change | Boundary]:
        assert self._snapshot is not None
        out: list[Change | Boundary] = []
        for change in self._snapshot:
            out.append(change)
            if len(out) >= limit:
                return out
        self._snapshot = None
        out.append(Boundary(SNAPSHOT_DONE))
        return out

    def _read_stream(self, wait_s: float, limit: int) -> list[Change | Boundary]:
        out: list[Change | Boundary] = []
        changes = 0
        started = time.monotonic()
        deadline = started + wait_s
        cursor = self._cursor
        while changes < limit and len(out) < 2 * limit:
            if out and time.monotonic() - started > READ_BUDGET_S:
                break
            message = cursor.read_message()
            if message is None:
                # A keepalive handled, or a part of a message: what follows may already be in
                # libpq's buffer, where select() would not see it.
                message = cursor.read_message()
            if message is None:
                if self._begin is None and cursor.wal_end > self._last_token:
                    # Idle, between transactions: everything before the server's position has
                    # been sent, so it can be confirmed once what came before is acknowledged.
                    self._last_token = cursor.wal_end
                    out.append(Boundary(cursor.wal_end))
                remaining = deadline - time.monotonic()
                if out or remaining <= 0:
                    break
                select.select([cursor], [], [], remaining)
                continue
            item = self._handle(message.payload)
            if item is not None:
                out.append(item)
                changes += isinstance(item, Change)
        return out

    def _handle(self, payload: bytes) -> Change | Boundary | None:
        try:
            message = decode(payload)
        except DecodeError as exc:
            raise SourceLost(f"cannot read the server's message: {exc}") from None
        if isinstance(message, RowChange):
            self._position += 1
            return self._change(message)
        if isinstance(message, Begin):
            self._begin, self._position = message, 0
            self._transaction = (
                format_lsn(message.final_lsn),
                pg_time_text(message.commit_us),
                pg_time_ms(message.commit_us),
            )
        elif isinstance(message, Commit):
            self._begin = None
            self._last_token = max(self._last_token, message.end_lsn)
            return Boundary(message.end_lsn, pg_time_ms(message.commit_us))
        elif isinstance(message, Relation):
            types = tuple(self._catalog.column_type(c.type_oid) for c in message.columns)
            captured = (message.schema, message.name) in self._wanted
            self._relations[message.oid] = _Table(message, types, captured)
        return None

    def _change(self, message: RowChange) -> Change | None:
        table = self._relations.get(message.relation_oid)
        begin = self._begin
        if table is None or begin is None:
            raise SourceLost("the server sent a change outside a transaction or of no relation")
        if not table.captured:
            return None
        relation = table.relation
        before = None
        if message.old is not None:
            before = _row(table, message.old, keys_only=message.old_kind == "K")
        after = None
        if message.new is not None:
            after = _row(table, message.new, keys_only=False, old=before)
        lsn, committed_at, committed_ms = self._transaction
        return Change(
            message.op,
            relation.schema,
            relation.name,
            before,
            after,
            lsn,
            self._position,
            begin.xid,
            committed_at,
            committed_ms,
        )

    # -- the Source protocol's other methods ----------------------------------------------------

    def confirm(self, token: object) -> None:
        """Advance the slot's confirmed position (or, after a snapshot, make the slot)."""
        try:
            if token is SNAPSHOT_DONE:
                self._finish_snapshot()
                return
            assert isinstance(token, int)
            if token > self._confirmed:
                self._cursor.send_feedback(flush_lsn=token, write_lsn=token, force=True)
                self._confirmed = token
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            raise SourceLost(_first_line(exc)) from None

    def keep_alive(self) -> None:
        """Tell the server the capture is alive while it waits on the broker."""
        if self._cursor is None or self._snapshot_conn is not None or self._snapshot is not None:
            return
        with contextlib.suppress(psycopg2.OperationalError, psycopg2.InterfaceError):
            self._cursor.send_feedback()  # a broken connection: the next read reports it

    def reopen(self) -> None:
        """Connect again and stream from the slot's confirmed position."""
        self.close()
        self.snapshot_wanted = False
        try:
            self.open()
        except SetupError as exc:
            raise SourceLost(str(exc)) from None

    def describe(self) -> str:
        """The slot and where it starts."""
        if self._snapshot is not None:
            return f"slot {self.slot}, starting with a snapshot at {format_lsn(self.start_lsn)}"
        created = "new slot" if self.slot_created else "slot"
        return f"{created} {self.slot} at {format_lsn(self.start_lsn)}"

    def position_text(self, token: object) -> str:
        """An LSN as PostgreSQL writes it."""
        if token is SNAPSHOT_DONE:
            return f"{format_lsn(self.start_lsn)} (snapshot)"
        assert isinstance(token, int)
        return format_lsn(token)

    def behind(self) -> tuple[int, str]:
        """Bytes of WAL between the slot's confirmed position and the server's end."""
        if self._cursor is None or not self._confirmed:
            return 0, "bytes"
        return max(0, int(self._cursor.wal_end) - self._confirmed), "bytes"

    def close(self) -> None:
        """Close the connections (a temporary snapshot slot goes with them)."""
        for conn in (self._snapshot_conn, self._repl, self._sql):
            if conn is not None:
                with contextlib.suppress(psycopg2.Error):
                    conn.close()
        self._snapshot_conn = self._repl = self._sql = self._cursor = None
        self._snapshot = None


def _row(table: _Table, values: tuple[Value, ...], keys_only: bool, old: Row | None = None) -> Row:
    row: Row = {}
    for column, column_type, value in zip(
        table.relation.columns, table.types, values, strict=False
    ):
        if keys_only and not column.is_key:
            continue
        if value is UNCHANGED:
            if old is not None and column.name in old:
                row[column.name] = old[column.name]
            continue
        assert not isinstance(value, Unchanged)
        row[column.name] = to_json(column_type, value)
    return row


def _connect(dsn: str, replication: bool = False) -> Any:
    """A connection (autocommit) with the session settings values are read under.

    Raises:
        SetupError: if the server cannot be reached or refuses the connection.
    """
    conn: Any
    try:
        if replication:
            conn = psycopg2.connect(
                dsn,
                connection_factory=psycopg2.extras.LogicalReplicationConnection,
                options=SESSION_OPTIONS,
                connect_timeout=CONNECT_TIMEOUT_S,
            )
        else:
            conn = psycopg2.connect(dsn, options=SESSION_OPTIONS, connect_timeout=CONNECT_TIMEOUT_S)
            conn.autocommit = True
    except psycopg2.Error as exc:
        reason = _first_line(exc)
        if replication and "replication" in reason:
            reason += " (pg_hba.conf needs a 'replication' line for this user and address)"
        raise SetupError(f"cannot connect to PostgreSQL: {reason}") from None
    return conn


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
