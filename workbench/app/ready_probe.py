"""For smoke tests and start-up timing: say when the app is ready, then quit.

With ``ENSIGN_WORKBENCH_QUIT_WHEN_READY=1`` in its environment, ``ensign-workbench`` prints one
line once its window is shown and its embedded broker is ready and connected, then quits as if
its window were closed (stopping the broker). Not a user feature: it lets a script check a build
(``packaging/smoke_test.py``) and time a cold start without a person at the screen.
"""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QTimer

from workbench.app.parts import Workbench

QUIT_WHEN_READY_ENV = "ENSIGN_WORKBENCH_QUIT_WHEN_READY"
READY_LINE = "ensign-workbench: ready"


def wanted() -> bool:
    """Whether this run should quit once ready."""
    return os.environ.get(QUIT_WHEN_READY_ENV, "") not in ("", "0")


def quit_when_ready(parts: Workbench, started: float) -> None:
    """Once the session connects with the window shown, print the ready line (seconds since
    ``started``, a ``time.monotonic()``; the broker's process id) and close the window."""

    def connected(_client: object) -> None:
        if not parts.window.isVisible():
            return
        seconds = time.monotonic() - started
        print(
            f"{READY_LINE} after {seconds:.2f} s (window shown, broker ready, "
            f"broker pid {parts.broker.pid})",
            flush=True,
        )
        QTimer.singleShot(0, parts.window.close)

    parts.session.connected.connect(connected)
