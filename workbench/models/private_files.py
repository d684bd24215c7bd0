"""Files only their owner may read (mode 0600), written whole or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_MODE = 0o600


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` with mode 0600, replacing the file atomically.

    The bytes go to a temporary file beside ``path`` that is created 0600, synced, then renamed
    over ``path``: a reader sees the old file or the new one, never a part, and the secret is
    never readable by others, not even for a moment. A file that was there keeps no wider mode.

    Raises:
        OSError: if the directory is not writable (the temporary file is removed).
    """
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), PRIVATE_MODE)  # an old temporary file kept its mode
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
