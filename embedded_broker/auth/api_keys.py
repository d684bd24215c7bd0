"""API keys: a ClientID that names the key and a ClientSecret, stored only as an Argon2id hash.

Keys live in ``auth.db`` in the data directory, apart from the event log, so that the command
line can create and revoke keys while a broker is running.
"""

from __future__ import annotations

import functools
import logging
import secrets
import string
import threading
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from embedded_broker.auth.permissions import Permission, parse_permissions
from embedded_broker.auth.projects import (
    AUTH_DATABASE_FILE,
    auth_database_errors,
    open_auth_database,
)
from embedded_broker.core.errors import BrokerError, NotFound, StorageError, StorageFull
from embedded_broker.core.ids import new_ulid, now_ms, ulid_str

CLIENT_ID_LENGTH = 32
CLIENT_SECRET_LENGTH = 64
_LETTERS = string.ascii_letters
_ALPHANUMERICS = string.ascii_letters + string.digits

log = logging.getLogger(__name__)

# Argon2id at about 100 ms per check on a small machine: slow on purpose, run only at login.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)


class AuthenticationFailed(BrokerError):
    """The ClientID and ClientSecret do not match an active key."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's public record (never its secret)."""

    id: bytes
    client_id: str
    project_id: bytes
    name: str
    permissions: frozenset[Permission]
    created_ms: int
    last_used_ms: int | None
    revoked_ms: int | None

    @property
    def active(self) -> bool:
        """False once revoked."""
        return self.revoked_ms is None

    def to_json(self) -> dict[str, object]:
        """The key as a JSON-ready dict, for listings."""
        return {
            "key_id": ulid_str(self.id),
            "client_id": self.client_id,
            "project_id": ulid_str(self.project_id),
            "name": self.name,
            "permissions": sorted(p.value for p in self.permissions),
            "created_ms": self.created_ms,
            "last_used_ms": self.last_used_ms,
            "revoked_ms": self.revoked_ms,
        }


_DDL = """
CREATE TABLE IF NOT EXISTS api_keys (
    id BLOB PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    project_id BLOB NOT NULL,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    last_used_ms INTEGER,
    revoked_ms INTEGER
);
"""
_COLUMNS = "id, client_id, project_id, name, permissions, created_ms, last_used_ms, revoked_ms"


class KeyStore:
    """API keys in ``auth.db``. Thread-safe; several processes may use one file.

    Raises:
        StorageFull | StorageError: from the constructor, if ``auth.db`` cannot be opened.
    """

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / AUTH_DATABASE_FILE
        self._conn = open_auth_database(data_dir)
        with auth_database_errors(self._path):
            self._conn.executescript(_DDL)
        self._lock = threading.Lock()
        self._touch_failing = False
        self._revoked: frozenset[bytes] = frozenset()
        self._revoked_version: tuple[int, int] = (-1, -1)
        self._own_changes = 0

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def create(
        self, project_id: bytes, permissions: list[str] | frozenset[Permission], name: str = ""
    ) -> tuple[ApiKey, str]:
        """Create a key; return it with its ClientSecret, which is never available again.

        Raises:
            InvalidArgument: for an unknown permission, or none.
            StorageFull | StorageError: if ``auth.db`` cannot be written (a full disk, say);
                no key was created.
        """
        granted = parse_permissions(str(p) for p in permissions)
        client_id = "".join(secrets.choice(_LETTERS) for _ in range(CLIENT_ID_LENGTH))
        secret = "".join(secrets.choice(_ALPHANUMERICS) for _ in range(CLIENT_SECRET_LENGTH))
        key = ApiKey(new_ulid(), client_id, project_id, name, granted, now_ms(), None, None)
        with self._lock, auth_database_errors(self._path):
            self._conn.execute(
                "INSERT INTO api_keys (id, client_id, secret_hash, project_id, name, permissions,"
                " created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    client_id,
                    _HASHER.hash(secret),
                    project_id,
                    name,
                    " ".join(sorted(p.value for p in granted)),
                    key.created_ms,
                ),
            )
        return key, secret

    def authenticate(self, client_id: str, client_secret: str) -> ApiKey:
        """Check a ClientID and ClientSecret (Argon2id, deliberately slow) and record the use.

        Recording the use is best-effort: when ``auth.db`` cannot be written (a full disk), the
        key still authenticates and one warning is logged until a use is recorded again, so that
        nobody is locked out of the broker they need to read from or clean up.

        Raises:
            AuthenticationFailed: for an unknown ClientID, a wrong secret or a revoked key,
                without saying which.
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT secret_hash FROM api_keys WHERE client_id=?", (client_id,)
            ).fetchone()
        stored = row[0] if row else _dummy_hash()  # same work for unknown ids: no timing oracle
        try:
            _HASHER.verify(stored, client_secret)
        except (VerificationError, InvalidHashError):
            raise AuthenticationFailed("invalid client id or client secret") from None
        key = self.by_client_id(client_id)
        if row is None or not key.active:
            raise AuthenticationFailed("invalid client id or client secret")
        try:
            self.touch(key.id)
        except (StorageFull, StorageError) as exc:
            if not self._touch_failing:  # one line, not one per login, while the disk is full
                log.warning(
                    "API key %s logged in; its last-used time was not recorded: %s", client_id, exc
                )
            self._touch_failing = True
        else:
            self._touch_failing = False
        return key

    def touch(self, key_id: bytes) -> None:
        """Record that a key was just used.

        Raises:
            StorageFull | StorageError: if ``auth.db`` cannot be written.
        """
        with self._lock, auth_database_errors(self._path):
            self._conn.execute("UPDATE api_keys SET last_used_ms=? WHERE id=?", (now_ms(), key_id))

    def by_client_id(self, client_id: str) -> ApiKey:
        """Return a key by ClientID.

        Raises:
            NotFound: if there is no such key.
        """
        return self._one("client_id=?", client_id, f"no API key with client id {client_id!r}")

    def by_id(self, key_id: bytes) -> ApiKey:
        """Return a key by its id.

        Raises:
            NotFound: if there is no such key.
        """
        return self._one("id=?", key_id, "no such API key")

    def list(self, project_id: bytes | None = None) -> list[ApiKey]:
        """Every key (of one project, if given), oldest first. Secrets are never listed."""
        where, args = ("WHERE project_id=?", (project_id,)) if project_id else ("", ())
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM api_keys {where} ORDER BY created_ms, id", args
            ).fetchall()
        return [_key(row) for row in rows]

    def revoke(self, client_id: str) -> ApiKey:
        """Revoke a key: it can no longer authenticate, and its tokens stop working.

        Raises:
            NotFound: if there is no such key.
            StorageFull | StorageError: if ``auth.db`` cannot be written; the key still works.
        """
        key = self.by_client_id(client_id)
        with self._lock, auth_database_errors(self._path):
            self._conn.execute(
                "UPDATE api_keys SET revoked_ms=coalesce(revoked_ms, ?) WHERE id=?",
                (now_ms(), key.id),
            )
            self._own_changes += 1
        return self.by_id(key.id)

    def revoked_ids(self) -> frozenset[bytes]:
        """Ids of revoked keys, cheap to call often: re-read only when ``auth.db`` changed.

        SQLite's ``data_version`` changes when another connection (say, the command line)
        commits; this store's own revocations are counted separately.
        """
        with self._lock:
            (data_version,) = self._conn.execute("PRAGMA data_version").fetchone()
            version = (int(data_version), self._own_changes)
            if version != self._revoked_version:
                rows = self._conn.execute("SELECT id FROM api_keys WHERE revoked_ms IS NOT NULL")
                self._revoked = frozenset(row[0] for row in rows)
                self._revoked_version = version
            return self._revoked

    def _one(self, where: str, value: object, missing: str) -> ApiKey:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM api_keys WHERE {where}", (value,)
            ).fetchone()
        if row is None:
            raise NotFound(missing)
        return _key(row)


def _key(row: tuple[object, ...]) -> ApiKey:
    key_id, client_id, project_id, name, permissions, created, used, revoked = row
    assert isinstance(permissions, str)
    return ApiKey(
        key_id,  # type: ignore[arg-type]
        client_id,  # type: ignore[arg-type]
        project_id,  # type: ignore[arg-type]
        name,  # type: ignore[arg-type]
        frozenset(Permission(p) for p in permissions.split()),
        created,  # type: ignore[arg-type]
        used,  # type: ignore[arg-type]
        revoked,  # type: ignore[arg-type]
    )


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_hex(32))
