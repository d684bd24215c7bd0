"""Property-based fuzzing of what reaches the workbench from files and topics: the producer's
templates, imported files, and event payloads in the detail views.

Bounded for CI by ``fuzz_settings`` (a few hundred examples per test; the folder runs in well
under a minute). The longer run is the same tests with more examples::

    ENSIGN_FUZZ_EXAMPLES=5000 QT_QPA_PLATFORM=offscreen \\
        .venv/bin/python -m pytest tests/workbench/fuzz -q

(its last result is in the README).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from hypothesis import HealthCheck, settings
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget

W = TypeVar("W", bound=QWidget)

EXAMPLES = int(os.environ.get("ENSIGN_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(ci_examples: int) -> settings:
    """Settings for one fuzz test: ``ci_examples`` in CI, ``$ENSIGN_FUZZ_EXAMPLES`` if set."""
    return settings(
        max_examples=EXAMPLES or ci_examples,
        deadline=None,
        # the suite's examples are the same each run, the longer run's new (tests/conftest.py);
        # a failure prints its reproducing example
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )


@contextmanager
def shown(widget: W) -> Iterator[W]:
    """``widget`` shown offscreen for a module's examples, closed afterwards."""
    widget.resize(900, 700)
    widget.show()
    try:
        yield widget
    finally:
        widget.close()
        widget.deleteLater()
        # Deleted now, while the QApplication exists: a wrapper left for the interpreter's exit
        # would be destroyed after it (a segmentation fault at exit).
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
