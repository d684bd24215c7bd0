"""Qt settings made before the QApplication exists."""

from __future__ import annotations

import os

import pytest

from workbench.app.qt_environment import SERIAL_FILLS, prepare_qt_environment


def test_painting_stays_on_the_gui_thread_unless_the_user_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SERIAL_FILLS, raising=False)
    prepare_qt_environment()
    assert SERIAL_FILLS == "QT_NO_GUI_THREADPOOL"

    assert os.environ[SERIAL_FILLS] == "1"

    monkeypatch.setenv(SERIAL_FILLS, "")
    prepare_qt_environment()
    assert os.environ[SERIAL_FILLS] == ""
