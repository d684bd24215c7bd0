"""Qt settings that must be in place before the QApplication exists."""

from __future__ import annotations

import os

SERIAL_FILLS = "QT_NO_GUI_THREADPOOL"
"""Qt's raster engine splits any fill of more than 96 spans (a grid line, a table row's
background) across a thread pool and blocks until the pool is done. When the broker and a
publisher keep every core busy, the GUI thread then waits for a pool thread to be scheduled:
the charts' repaints went from 9 ms to 22 ms idle, and much longer under load. Painting on
the GUI thread alone is faster for everything this application draws."""


def prepare_qt_environment() -> None:
    """Set Qt's environment for this application (a value the user set is kept)."""
    os.environ.setdefault(SERIAL_FILLS, "1")
