"""Durable private files: atomic 0600 writes and 0700 directories, for storage, crypto, auth."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, readable only by the owner (0600).

    The content is fsynced before the rename and the directory after it, so after a crash the
    file holds either the old or the new content, never a mix.
    """
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry change (a create or rename) to disk where the OS supports it."""
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed, with mode 0700 for a new directory."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
