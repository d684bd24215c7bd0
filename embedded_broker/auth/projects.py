"""Projects: the namespaces that own topics and API keys.

Projects live in ``auth.db`` beside the API keys (as Ensign's auth service keeps them), not in
the event log. The event log is held open by one process at a time; ``auth.db`` may be shared, so
``ensign-broker keys create --project NAME`` works while a server runs on the same directory.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from embedded_broker.core.errors import AlreadyExists, NotFound, StorageError, StorageFull
from embedded_broker.core.ids import new_ulid, now_ms, parse_ulid, ulid_str
from embedded_broker.core.model import Project
from embedded_broker.core.names import validate_project_name
from embedded_broker.private_files import ensure_private_dir

AUTH_DATABASE_FILE = "auth.db"

_DDL = """
CREATE TABLE IF NOT EXISTS projects (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
);
"""


def open_auth_database(data_dir: Path) -> sqlite3.Connection:
    """Open ``auth.db`` (created 0600 on first use); safe to share between processes.

    Raises:
        StorageFull: if the disk holding ``data_dir`` is full.
        StorageError: if ``auth.db`` cannot be opened or created (a read-only data directory,
            say), naming the file and why.
    """
    path = data_dir / AUTH_DATABASE_FILE
    with auth_database_errors(path):
        ensure_private_dir(data_dir)
        if not path.exists():
            path.touch(mode=0o600)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            # WAL mode creates auth.db-wal and auth.db-shm beside it: this is where a read-only
            # directory fails, even for a command that only lists.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error:
            conn.close()
            raise
    return conn


@contextlib.contextmanager
def auth_database_errors(path: Path) -> Iterator[None]:
    """Report SQLite's and the OS's failures to use ``path`` (``auth.db``) as broker errors, so
    that the command line prints one line and the services answer with a status, not a crash.

    Raises:
        StorageFull: for a full disk (``SQLITE_FULL``, ``ENOSPC``).
        StorageError: for any other failure to open, read or write ``path``.
    """
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        raise _auth_database_error(path, exc) from exc


def _auth_database_error(path: Path, exc: OSError | sqlite3.OperationalError) -> Exception:
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return StorageFull(f"the disk holding {path} is full: free some space, then try again")
        hint = " (is the data directory writable?)" if exc.errno in _NOT_WRITABLE else ""
        return StorageError(f"cannot use {exc.filename or path}: {exc.strerror or exc}{hint}")
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        return StorageFull(f"the disk holding {path} is full: free some space, then try again")
    hint = ""
    if code is not None and code & 0xFF in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY):
        hint = " (is the data directory writable?)"
    return StorageError(f"cannot use {path}: {exc}{hint}")


_NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


class ProjectDirectory:
    """Every project of a data directory. Thread-safe; several processes may share it.

    Raises:
        StorageFull | StorageError: from the constructor, if ``auth.db`` cannot be opened.
    """

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / AUTH_DATABASE_FILE
        self._conn = open_auth_database(data_dir)
        with auth_database_errors(self._path):
            self._conn.executescript(_DDL)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def create(self, name: str) -> Project:
        """Create a project.

        Raises:
            InvalidArgument: if the name is unusable.
            AlreadyExists: if a project with that name exists.
            StorageFull | StorageError: if ``auth.db`` cannot be written (a full disk, say).
        """
        name = validate_project_name(name)
        project = Project(new_ulid(), name, now_ms())
        with self._lock, auth_database_errors(self._path):
            try:
                self._conn.execute(
                    "INSERT INTO projects VALUES (?, ?, ?)", (project.id, name, project.created_ms)
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(f"a project named {name!r} already exists") from None
        return project

    def ensure(self, name: str) -> Project:
        """Return the project called ``name``, creating it if needed."""
        try:
            return self.by_name(name)
        except NotFound:
            try:
                return self.create(name)
            except AlreadyExists:  # created meanwhile by another process
                return self.by_name(name)

    def list(self) -> list[Project]:
        """Every project, by name."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, created_ms FROM projects ORDER BY name"
            ).fetchall()
        return [Project(*row) for row in rows]

    def get(self, project_id: bytes | str) -> Project:
        """Return one project by id.

        Raises:
            NotFound: if it does not exist.
        """
        raw = parse_ulid(project_id)
        return self._one("id", raw, f"project {ulid_str(raw)} does not exist")

    def by_name(self, name: str) -> Project:
        """Return one project by name.

        Raises:
            NotFound: if it does not exist.
        """
        return self._one("name", name, f"project {name!r} does not exist")

    def _one(self, column: str, value: object, missing: str) -> Project:
        with self._lock:
            row = self._conn.execute(
                f"SELECT id, name, created_ms FROM projects WHERE {column}=?", (value,)
            ).fetchone()
        if row is None:
            raise NotFound(missing)
        return Project(*row)
