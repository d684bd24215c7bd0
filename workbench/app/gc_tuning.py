"""Keeping Python's garbage collector from pausing the GUI.

A Qt application holds hundreds of thousands of long-lived objects (modules, widgets, protobuf
descriptors). Every full collection walks all of them, which shows up as event-loop stalls of
tens of milliseconds under load. After start-up they are frozen: the collector then only looks
at objects created since.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.views.qt_session import QtSession


def freeze_startup_objects() -> None:
    """Collect once, then exempt every surviving object from later collections."""
    gc.collect()
    gc.freeze()


def freeze_when_settled(session: QtSession, delay_ms: int = 5000) -> None:
    """Freeze again a few seconds after the first connection, once every view is built."""
    from PySide6.QtCore import QTimer

    def connected(_client: object) -> None:
        session.connected.disconnect(connected)
        QTimer.singleShot(delay_ms, freeze_startup_objects)

    session.connected.connect(connected)
