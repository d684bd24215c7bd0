"""Projects: the namespaces that own topics and API keys.

Projects live in ``auth.db`` beside the API keys (as Ensign's auth service keeps them), not in
the event log. The event log is held open by one process at a time; ``auth.db`` may be shared, so
``ensign-broker keys create --project NAME`` works while a server runs on the same directory.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from embedded_broker.core.errors import AlreadyExists, NotFound
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
    """Open ``auth.db`` (created 0600 on first use); safe to share between processes."""
    path = ensure_private_dir(data_dir) / AUTH_DATABASE_FILE
    if not path.exists():
        path.touch(mode=0o600)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


class ProjectDirectory:
    """Every project of a data directory. Thread-safe; several processes may share it."""

    def __init__(self, data_dir: Path) -> None:
        self._conn = open_auth_database(data_dir)
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
        """
        name = validate_project_name(name)
        project = Project(new_ulid(), name, now_ms())
        with self._lock:
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
