"""Where the workbench keeps ClientSecrets: the OS keyring if there is one, else a 0600 file.

Secrets never go into QSettings or the profiles file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Protocol

from workbench.models.private_files import write_private_text

log = logging.getLogger(__name__)
SERVICE = "ensign-workbench"


class SecretStore(Protocol):
    """Secrets by name."""

    kind: str

    def get(self, name: str) -> str | None: ...
    def put(self, name: str, secret: str) -> None: ...
    def delete(self, name: str) -> None: ...


class FileSecretStore:
    """Secrets in a JSON file readable only by its owner (mode 0600)."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError:
            log.warning("the secrets file %s is unreadable; starting a new one", self.path)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save(self, secrets: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private_text(self.path, json.dumps(secrets))

    def get(self, name: str) -> str | None:
        """The secret called ``name``, if stored."""
        with self._lock:
            return self._load().get(name)

    def put(self, name: str, secret: str) -> None:
        """Store a secret."""
        with self._lock:
            secrets = self._load()
            secrets[name] = secret
            self._save(secrets)

    def delete(self, name: str) -> None:
        """Forget a secret."""
        with self._lock:
            secrets = self._load()
            if secrets.pop(name, None) is not None:
                self._save(secrets)


class KeyringSecretStore:
    """Secrets in the operating system's keyring (Secret Service, Keychain, Credential Locker)."""

    kind = "keyring"

    def __init__(self, backend: object) -> None:
        self._backend = backend

    def get(self, name: str) -> str | None:
        """The secret called ``name``, if stored."""
        value = self._backend.get_password(SERVICE, name)  # type: ignore[attr-defined]
        return value if isinstance(value, str) else None

    def put(self, name: str, secret: str) -> None:
        """Store a secret."""
        self._backend.set_password(SERVICE, name, secret)  # type: ignore[attr-defined]

    def delete(self, name: str) -> None:
        """Forget a secret."""
        with contextlib.suppress(Exception):  # not there: nothing to forget
            self._backend.delete_password(SERVICE, name)  # type: ignore[attr-defined]


def open_secret_store(fallback: Path, use_keyring: bool = True) -> SecretStore:
    """The OS keyring when a usable one exists, otherwise a 0600 file at ``fallback``."""
    if use_keyring and not os.environ.get("ENSIGN_WORKBENCH_NO_KEYRING"):
        try:
            import keyring
            from keyring.backends import fail

            backend = keyring.get_keyring()
            if not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0:
                return KeyringSecretStore(backend)
        except Exception as exc:  # a broken keyring setup must not stop the app
            log.info("no usable OS keyring (%s); secrets go to %s", exc, fallback)
    return FileSecretStore(fallback)
