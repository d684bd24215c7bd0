"""Rate limiting of failed authentication attempts per subject (the auth endpoint's subjects are
an address, and a client id at an address)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
BASE_DELAY_S = 1.0
MAX_DELAY_S = 300.0
FORGET_AFTER_S = 3600.0


@dataclass(slots=True)
class _Record:
    failures: int
    blocked_until: float
    last_failure: float


class FailureLimiter:
    """After a few failures, a subject must wait, doubling each time.

    ``retry_after`` says how long a caller must still wait (0 when it may try); ``failed`` and
    ``succeeded`` record outcomes. The clock is injectable for tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def retry_after(self, *subjects: str) -> float:
        """Seconds until any of ``subjects`` may try again (0 if all may try now)."""
        now = self._clock()
        with self._lock:
            waits = [r.blocked_until - now for s in subjects if (r := self._records.get(s))]
        return max([0.0, *waits])

    def failed(self, *subjects: str) -> None:
        """Record a failed attempt by each subject."""
        now = self._clock()
        with self._lock:
            self._forget_old(now)
            for subject in subjects:
                record = self._records.setdefault(subject, _Record(0, 0.0, now))
                record.failures += 1
                record.last_failure = now
                excess = record.failures - FREE_FAILURES
                if excess >= 0:
                    record.blocked_until = now + min(MAX_DELAY_S, BASE_DELAY_S * 2**excess)

    def succeeded(self, *subjects: str) -> None:
        """Clear the failures of each subject."""
        with self._lock:
            for subject in subjects:
                self._records.pop(subject, None)

    def _forget_old(self, now: float) -> None:
        stale = [s for s, r in self._records.items() if now - r.last_failure > FORGET_AFTER_S]
        for subject in stale:
            del self._records[subject]
