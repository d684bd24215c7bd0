"""Keeping Python's garbage collector from pausing the GUI.

A Qt application holds hundreds of thousands of long-lived objects (modules, widgets, protobuf
descriptors). Every full collection walks all of them, which shows up as event-loop stalls of
tens of milliseconds under load. After start-up they are frozen: the collector then only looks
at objects created since.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect once, then exempt every surviving object from later collections."""
    gc.collect()
    gc.freeze()
