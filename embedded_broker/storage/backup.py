"""``ensign-broker backup`` and ``restore``: a consistent copy of a data directory, taken while
the broker serves it, without the master key.

A backup is a directory (0700, files 0600) holding:

- each SQLite database (the event log, consumer-group offsets, projects and API keys), copied
  with SQLite's online backup API: each is one consistent snapshot, while the broker writes on;
- ``keyring.json``, copied *after* the event log, so it holds a key for every topic in the copied
  log (a topic created meanwhile only leaves an unused key; one destroyed meanwhile is recorded as
  destroyed, and the restored broker finishes the destroy);
- ``backup.json``: when it was taken, its files and sizes, and how the master key is kept.

It never holds the master key (``master.key``), the token signing key or the TLS key: events
are stored encrypted under per-topic keys, which ``keyring.json`` holds wrapped by the master
key, so a stolen backup alone reveals no event. Keep ``master.key`` apart and give it to
``restore --master-key``; a directory made with a passphrase opens only with that passphrase.
A restored broker makes a new token signing key (tokens issued before no longer work) and, with
``--tls``, a new certificate.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from embedded_broker.core.errors import InvalidArgument, KeyUnavailable, StorageError
from embedded_broker.core.ids import now_ms
from embedded_broker.crypto.keyring import KEYRING_FILE, Keyring
from embedded_broker.crypto.master_key import MASTER_KEY_FILE
from embedded_broker.private_files import ensure_private_dir, fsync_dir, write_private_file
from embedded_broker.storage.schema import DATABASE_FILE

MANIFEST_FILE = "backup.json"


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds."""

    created_ms: int
    files: dict[str, int]
    """File name -> size in bytes."""
    master_key: str
    """``file`` (kept apart: pass it to restore) or ``passphrase``."""


def backup_data_dir(data_dir: Path, dest: Path, databases: Sequence[str]) -> Manifest:
    """Copy ``data_dir`` into the new directory ``dest`` (see the module docstring).

    Args:
        data_dir: a broker's data directory; a broker may be serving it.
        dest: where the backup goes; it must not exist yet.
        databases: the SQLite files to copy besides the event log (those that exist).

    Raises:
        InvalidArgument: if ``dest`` exists.
        StorageError: if ``data_dir`` holds no event log, or a copy fails.
    """
    if dest.exists():
        raise InvalidArgument(f"{dest} already exists: back up into a new directory")
    if not (data_dir / DATABASE_FILE).exists():
        raise StorageError(f"{data_dir} holds no event log ({DATABASE_FILE})")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    ensure_private_dir(partial)
    try:
        files: dict[str, int] = {}
        # The event log before the keyring: see the module docstring.
        for name in (DATABASE_FILE, *databases):
            if (data_dir / name).exists():
                files[name] = _copy_database(data_dir / name, partial / name)
        keyring = (data_dir / KEYRING_FILE).read_bytes()
        write_private_file(partial / KEYRING_FILE, keyring)
        files[KEYRING_FILE] = len(keyring)
        manifest = Manifest(now_ms(), files, json.loads(keyring)["master"].get("kind", "file"))
        write_private_file(
            partial / MANIFEST_FILE,
            json.dumps(
                {
                    "created_ms": manifest.created_ms,
                    "files": manifest.files,
                    "master_key": manifest.master_key,
                },
                indent=1,
            ).encode(),
        )
        os.replace(partial, dest)
        fsync_dir(dest.parent)
    except (OSError, sqlite3.Error, ValueError, KeyError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise StorageError(f"the backup into {dest} failed: {exc}") from exc
    return manifest


def restore_data_dir(
    backup: Path, data_dir: Path, master_key_file: Path | None, passphrase: str | None
) -> Manifest:
    """Make ``data_dir`` (new or empty) from a backup, and check that its keys open.

    Args:
        backup: a directory made by :func:`backup_data_dir`.
        data_dir: the directory to restore into; it must not exist or be empty.
        master_key_file: the master key kept apart from the backup (for ``file`` backups).
        passphrase: the passphrase (for ``passphrase`` backups).

    Raises:
        InvalidArgument: if ``backup`` is not a backup or ``data_dir`` is not empty.
        KeyUnavailable: without the right master key or passphrase (nothing is left behind).
        StorageError: if a copy fails.
    """
    try:
        doc = json.loads((backup / MANIFEST_FILE).read_text())
        manifest = Manifest(int(doc["created_ms"]), dict(doc["files"]), str(doc["master_key"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(f"{backup} is not a backup made by ensign-broker: {exc}") from None
    if data_dir.exists() and any(data_dir.iterdir()):
        raise InvalidArgument(f"{data_dir} is not empty: restore into a new directory")
    if manifest.master_key == "file" and master_key_file is None:
        raise KeyUnavailable(
            "the backup holds no master key: pass --master-key with the master.key kept apart"
        )
    partial = data_dir.with_name(data_dir.name + ".restoring")
    shutil.rmtree(partial, ignore_errors=True)
    ensure_private_dir(partial)
    try:
        for name, size in manifest.files.items():
            if Path(name).name != name or (backup / name).stat().st_size != size:
                raise StorageError(f"{backup / name} is not the file the backup recorded")
            shutil.copyfile(backup / name, partial / name)
            os.chmod(partial / name, 0o600)
        if master_key_file is not None:
            write_private_file(partial / MASTER_KEY_FILE, master_key_file.read_bytes())
        Keyring.open(partial, passphrase, may_create=False)  # the right key, or nothing
        if data_dir.exists():
            data_dir.rmdir()
        os.replace(partial, data_dir)
        fsync_dir(data_dir.parent)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError):
            raise StorageError(f"the restore into {data_dir} failed: {exc}") from exc
        raise
    return manifest


def _copy_database(source: Path, target: Path) -> int:
    """One consistent snapshot of a live SQLite database (WAL included), in one backup step."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        target.touch(mode=0o600)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: everything in one step, one read transaction
        finally:
            dst.close()
    finally:
        src.close()
    return target.stat().st_size
