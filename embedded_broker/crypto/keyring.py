"""The keyring: each topic's data key, wrapped by the master key, in one 0600 file.

The keyring lives apart from the event log, so a copy of the log (its database, WAL or a backup)
holds no key. Destroying a topic rewrites the keyring without that topic's key: from then on its
events cannot be decrypted, whatever copies of the log exist.
"""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path
from typing import Any

from embedded_broker.core.errors import KeyUnavailable, NotFound, StorageError
from embedded_broker.crypto.aead import Sealer, random_key
from embedded_broker.crypto.master_key import (
    KdfParams,
    derive_master_key,
    load_or_create_key_file,
)
from embedded_broker.private_files import write_private_file

KEYRING_FILE = "keyring.json"
_FORMAT = 1
_VERIFIER = b"ensign-workbench keyring v1"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


class Keyring:
    """Unwrapped topic data keys in memory, wrapped ones on disk. Thread-safe."""

    def __init__(self, path: Path, master: Sealer, header: dict[str, Any]) -> None:
        self._path = path
        self._master = master
        self._header = header
        self._wrapped: dict[bytes, bytes] = {}
        self._destroyed: set[bytes] = set()
        self._keys: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, data_dir: Path, passphrase: str | None = None, *, may_create: bool = True
    ) -> Keyring:
        """Open (or create) the keyring in ``data_dir``.

        Without a passphrase the master key comes from the 0600 ``master.key`` file, created on
        first start. With one, it is derived with Argon2id; the choice is fixed at creation.

        Raises:
            KeyUnavailable: if the passphrase is wrong or missing, or the key file is missing.
        """
        path = data_dir / KEYRING_FILE
        if not path.exists():
            if not may_create:
                raise KeyUnavailable(
                    f"the keyring {path} is missing but the event log holds topics: without "
                    "it their events cannot be decrypted. Restore keyring.json from a backup."
                )
            return cls._create(path, data_dir, passphrase)
        try:
            doc = json.loads(path.read_text())
            header = doc["master"]
            verifier = _unb64(doc["verifier"])
            wrapped = {bytes.fromhex(k): _unb64(v) for k, v in doc["keys"].items()}
            destroyed = {bytes.fromhex(k) for k in doc.get("destroyed", [])}
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyUnavailable(f"the keyring {path} is damaged: {exc}") from None
        master = Sealer(cls._master_key(data_dir, header, passphrase))
        try:
            master.open_random(verifier, b"verifier", "the keyring verifier")
        except Exception:
            raise KeyUnavailable(
                "the passphrase is wrong"
                if header.get("kind") == "passphrase"
                else f"{data_dir / 'master.key'} does not match this data directory's keyring"
            ) from None
        keyring = cls(path, master, header)
        keyring._wrapped = wrapped
        keyring._destroyed = destroyed
        return keyring

    @classmethod
    def _create(cls, path: Path, data_dir: Path, passphrase: str | None) -> Keyring:
        if passphrase:
            params = KdfParams.new()
            header: dict[str, Any] = {
                "kind": "passphrase",
                "kdf": "argon2id",
                "salt": _b64(params.salt),
                "time_cost": params.time_cost,
                "memory_cost_kib": params.memory_cost_kib,
                "parallelism": params.parallelism,
            }
        else:
            header = {"kind": "file"}
        keyring = cls(path, Sealer(cls._master_key(data_dir, header, passphrase)), header)
        keyring._save()
        return keyring

    @staticmethod
    def _master_key(data_dir: Path, header: dict[str, Any], passphrase: str | None) -> bytes:
        if header.get("kind") == "passphrase":
            if not passphrase:
                raise KeyUnavailable(
                    "this data directory is encrypted with a passphrase: set "
                    "ENSIGN_BROKER_PASSPHRASE (or pass --passphrase-file)"
                )
            params = KdfParams(
                salt=_unb64(header["salt"]),
                time_cost=int(header["time_cost"]),
                memory_cost_kib=int(header["memory_cost_kib"]),
                parallelism=int(header["parallelism"]),
            )
            return derive_master_key(passphrase, params)
        if passphrase:
            raise KeyUnavailable(
                "a passphrase was given, but this data directory uses a master key file"
            )
        return load_or_create_key_file(data_dir, create=not (data_dir / KEYRING_FILE).exists())

    def _save(
        self, wrapped: dict[bytes, bytes] | None = None, destroyed: set[bytes] | None = None
    ) -> None:
        """Write the keyring; the in-memory state changes only once the file is safely written."""
        wrapped = self._wrapped if wrapped is None else wrapped
        destroyed = self._destroyed if destroyed is None else destroyed
        doc = {
            "format": _FORMAT,
            "master": self._header,
            "verifier": _b64(self._master.seal_random(_VERIFIER, b"verifier")),
            "keys": {k.hex(): _b64(v) for k, v in sorted(wrapped.items())},
            "destroyed": sorted(k.hex() for k in destroyed),
        }
        try:
            write_private_file(self._path, json.dumps(doc, indent=1).encode())
        except OSError as exc:
            raise StorageError(f"cannot write the keyring {self._path}: {exc}") from exc
        self._wrapped, self._destroyed = wrapped, destroyed

    def create_key(self, topic_id: bytes) -> bytes:
        """Make, wrap and durably store a new data key for ``topic_id``; return it."""
        key = random_key()
        with self._lock:
            sealed = self._master.seal_random(key, b"topic:" + topic_id)
            self._save(wrapped={**self._wrapped, topic_id: sealed})
            self._keys[topic_id] = key
        return key

    def data_key(self, topic_id: bytes) -> bytes:
        """Return the unwrapped data key of ``topic_id``.

        Raises:
            NotFound: if the topic has no key (it was destroyed).
        """
        with self._lock:
            key = self._keys.get(topic_id)
            if key is None:
                wrapped = self._wrapped.get(topic_id)
                if wrapped is None:
                    raise NotFound("the topic's data key does not exist (was it destroyed?)")
                key = self._master.open_random(wrapped, b"topic:" + topic_id, "a topic key")
                self._keys[topic_id] = key
            return key

    def destroy_key(self, topic_id: bytes) -> None:
        """Erase ``topic_id``'s data key, in memory and on disk, and record that it was destroyed.

        The record lets a restart finish deleting the topic's rows if a crash interrupted it.
        """
        with self._lock:
            remaining = {k: v for k, v in self._wrapped.items() if k != topic_id}
            self._save(wrapped=remaining, destroyed=self._destroyed | {topic_id})
            self._keys.pop(topic_id, None)

    def was_destroyed(self, topic_id: bytes) -> bool:
        """True if ``topic_id``'s key was destroyed on purpose (not merely missing)."""
        with self._lock:
            return topic_id in self._destroyed

    def topic_ids(self) -> set[bytes]:
        """Return the ids of every topic that has a key."""
        with self._lock:
            return set(self._wrapped)
