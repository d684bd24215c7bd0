"""Trying a broker again by itself: after a connection fails or is lost for a reason that may
pass (the broker unreachable), the next try comes after 1 s, then 2, 4 … at most 30 s
(:func:`~workbench.models.reconnect.backoff_s`), until one works or the user chooses otherwise."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.models.reconnect import backoff_s


class QtReconnector(QObject):
    """Emits ``attempt`` when it is time to try the broker again."""

    attempt = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.attempts = 0
        """Tries since the last connection that worked."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.attempt)

    @property
    def waiting(self) -> bool:
        """True while a try is due."""
        return self._timer.isActive()

    def failed(self, worth_retrying: bool) -> float | None:
        """A try failed: the seconds until the next one, or None when there is none."""
        if not worth_retrying:
            self.cancel()
            return None
        self.attempts += 1
        delay = backoff_s(self.attempts)
        self._timer.start(int(delay * 1000))
        return delay

    def cancel(self) -> None:
        """No more tries (the user chose, or a connection works); the backoff starts over."""
        self._timer.stop()
        self.attempts = 0
