"""The whole app, started, in a 1280x720 window: for the views' tests that need every part."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop


@pytest.fixture
def running(qtbot: QtBot, qloop: QLoop, tmp_path: Path) -> Iterator[App]:
    """The app with its embedded broker connected (no topics yet), stopped cleanly after."""
    # Not qtbot.addWidget: it deletes the window before this fixture's teardown, which then
    # drops the connection and stops the broker.
    app = App(tmp_path)
    app.window.resize(1280, 720)
    app.start(qloop)
    yield app
    app.window.demo.stop()
    app.window.fields.chart.clear()
    qloop.run(app.session.drop_connection("quitting"))
    app.window.close()
    app.broker.stop_and_wait()
    app.window.deleteLater()
