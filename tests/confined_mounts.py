"""Real read-only and full file systems for tests, without changing the host's mounts.

A command runs in a mount namespace of its own (``unshare --mount``; as a user that is not root,
``unshare --user --map-root-user --mount``), where a directory becomes a read-only bind mount
or a small tmpfs. Outside that namespace nothing changes, and the mount goes with the last
process in it. Root ignores file modes (chmod 0555 does not stop it) and cannot fill a disk
safely, so a mount is the one real way that works for root and other users alike; where
namespaces are not allowed, tests that need one are skipped with the reason.

Files inside the namespace stay reachable from the test through ``/proc/PID/root``, which
resolves paths in that process's mount namespace.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
"""``sh -c`` script: make directory ``$0`` read-only, then run the command ``$@``."""
SMALL_DISK = 'mount -t tmpfs -o size="$SMALL_DISK_SIZE" tmpfs "$0" && exec "$@"'
"""``sh -c`` script: mount a tmpfs of ``$SMALL_DISK_SIZE`` bytes on ``$0``, then run ``$@``."""


@functools.cache
def _namespace_prefix() -> tuple[tuple[str, ...] | None, str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "unshare (util-linux) is not installed"
    candidates = [(unshare, "--mount")] if os.geteuid() == 0 else []
    candidates.append((unshare, "--user", "--map-root-user", "--mount"))
    reason = ""
    with tempfile.TemporaryDirectory() as trial:
        for prefix in candidates:
            tried = subprocess.run(
                [*prefix, "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"', trial],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if tried.returncode == 0:
                return prefix, ""
            reason = tried.stderr.strip()
    return None, f"cannot mount in a mount namespace here: {reason}"


def confined(script: str, directory: Path, *command: str) -> list[str]:
    """The command line that runs ``command`` with ``directory`` confined by ``script``
    (:data:`READ_ONLY` or :data:`SMALL_DISK`) in a mount namespace of its own; the process
    keeps its id (each step execs the next).

    Skips the calling test when mount namespaces are not available here.
    """
    prefix, reason = _namespace_prefix()
    if prefix is None:
        pytest.skip(reason)
    return [*prefix, "sh", "-c", script, str(directory), *command]


def seen_by(pid: int, path: Path) -> Path:
    """``path`` as process ``pid`` sees it, in its mount namespace."""
    return Path(f"/proc/{pid}/root") / path.resolve().relative_to("/")


def fill(directory: Path) -> int:
    """Write a file into ``directory`` until its file system has no space left; return the
    bytes written. The file is ``directory / "filler"``: remove it to free the space."""
    written = 0
    chunk = b"\0" * (1 << 20)
    with (directory / "filler").open("wb", buffering=0) as filler:
        try:
            while True:
                written += filler.write(chunk) or 0
        except OSError as exc:
            if exc.errno != errno.ENOSPC:  # full, as wanted
                raise
    return written
