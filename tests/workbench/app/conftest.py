"""The whole app in a temporary home, for the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import QLoop
from workbench.app.parts import Workbench
from workbench.models.secret_store import FileSecretStore


class App:
    """The pieces ``workbench.app.main`` builds, in a temporary home."""

    def __init__(self, home: Path) -> None:
        config = home / "config"
        parts = Workbench.create(config, home / "data", FileSecretStore(config / "secrets.json"))
        self.broker, self.session, self.window = parts.broker, parts.session, parts.window

    def start(self, qloop: QLoop) -> None:
        self.window.show()
        self.broker.start()
        qloop.until(lambda: self.session.client is not None, 60, "the session to connect")

    def quit(self, qloop: QLoop) -> None:
        self.window.close()
        qloop.run(self.session.drop_connection("quitting"))
        self.broker.stop_and_wait()


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[App]:
    built = App(tmp_path)
    qtbot.addWidget(built.window)
    yield built
    built.broker.stop_and_wait()
