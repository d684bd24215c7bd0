"""An exclusive lock on a data directory, so only one process writes its event log."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from embedded_broker.core.errors import StorageError

LOCK_FILE = "broker.lock"


class DirectoryLock:
    """Held for as long as a store is open; released by :meth:`release` or process exit."""

    def __init__(self, directory: Path) -> None:
        self._path = directory / LOCK_FILE
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(self._fd)
        except OSError:
            holder = _read_pid(self._fd)
            os.close(self._fd)
            who = f" (process {holder})" if holder else ""
            raise StorageError(
                f"the data directory {directory} is in use by another broker{who}; stop it "
                "first, or use another --data-dir"
            ) from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        """Give the lock up."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = -1


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError):
        return os.pread(fd, 32, 0).decode(errors="replace").strip()
    return ""


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
