"""A payload copied to the clipboard does not crash the program as it exits."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication
from workbench.models.payload_copy import PayloadCopy
from workbench.views.qt_copy_fields import copy_payload, release_clipboard
app = QApplication(sys.argv[:1])
copy_payload(PayloadCopy("Copy payload", "hello", {"application/octet-stream": b"\\x89PNG"}))
release_clipboard()  # what ensign-workbench does before it returns
print(app.clipboard().text())
"""


def test_copying_a_payload_then_exiting_ends_cleanly_with_the_text_kept() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"exit status {done.returncode}: {done.stderr}"
    assert done.stdout == "hello\n"
