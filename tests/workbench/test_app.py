from __future__ import annotations

import subprocess
import sys

from pytestqt.qtbot import QtBot

from workbench.display import NO_DISPLAY_MESSAGE, missing_display
from workbench.qt_main_window import QtMainWindow


def test_main_window_shows_its_title_and_status(qtbot: QtBot) -> None:
    window = QtMainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Ensign Workbench"
    assert window.statusBar().currentMessage() == "Ready"


def test_no_display_is_detected_on_linux_only() -> None:
    assert missing_display({}, "linux") == NO_DISPLAY_MESSAGE
    assert missing_display({"DISPLAY": ":0"}, "linux") is None
    assert missing_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert missing_display({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert missing_display({}, "darwin") is None
    assert missing_display({}, "win32") is None


def test_the_app_says_so_in_one_line_without_a_display() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    result = subprocess.run(
        [sys.executable, "-m", "workbench"], env=env, capture_output=True, text=True, timeout=60
    )
    if sys.platform.startswith("linux"):
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [NO_DISPLAY_MESSAGE]
        assert "ensign-broker" in result.stderr and "Xvfb" in result.stderr
