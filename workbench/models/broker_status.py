"""The embedded broker's lifecycle states and its recent log (no Qt)."""

from __future__ import annotations

import enum
from collections import deque

from workbench.models.reconnect import backoff_s

LOG_LINES = 2000


class BrokerState(enum.Enum):
    """Where the embedded broker process is in its life."""

    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    STOPPING = "stopping"
    CRASHED = "crashed"
    FAILED = "failed"
    """It cannot start (another process holds its data directory, a wrong passphrase ...)."""


class LogBuffer:
    """The last lines a process printed, bounded."""

    def __init__(self, limit: int = LOG_LINES) -> None:
        self._lines: deque[str] = deque(maxlen=limit)
        self._partial = ""

    def feed(self, chunk: str) -> list[str]:
        """Add output; return the complete new lines."""
        text = self._partial + chunk
        *lines, self._partial = text.split("\n")
        self._lines.extend(lines)
        return lines

    def lines(self) -> list[str]:
        """Every kept line, oldest first."""
        return list(self._lines)

    def tail(self, count: int) -> list[str]:
        """The last ``count`` lines."""
        return list(self._lines)[-count:]


def restart_delay(crashes: int) -> float:
    """Seconds to wait before restart number ``crashes`` (1 s, doubling, at most 30 s)."""
    return backoff_s(crashes)
