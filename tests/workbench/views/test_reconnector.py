"""The reconnector: tries by itself, further and further apart, until one works or the user
chooses; and the banner that counts down to the next one."""

from __future__ import annotations

import asyncio
import time

from pytestqt.qtbot import QtBot

from tests.workbench.conftest import QLoop
from workbench.views.qt_connection_banner import QtConnectionBanner
from workbench.views.qt_reconnector import QtReconnector


def test_failed_tries_back_off_and_a_try_comes_when_due(qloop: QLoop) -> None:
    reconnector = QtReconnector()
    tries: list[float] = []
    reconnector.attempt.connect(lambda: tries.append(time.monotonic()))
    started = time.monotonic()
    assert reconnector.failed(True) == 1.0 and reconnector.waiting
    qloop.until(lambda: len(tries) == 1, 5, "the first try")
    assert 0.9 <= tries[0] - started < 3.0
    assert reconnector.failed(True) == 2.0 and reconnector.attempts == 2
    assert reconnector.failed(True) == 4.0 and reconnector.attempts == 3
    reconnector.cancel()
    assert reconnector.attempts == 0 and not reconnector.waiting
    assert reconnector.failed(False) is None and reconnector.attempts == 0
    qloop.run(asyncio.sleep(1.5))
    assert len(tries) == 1, "no try after a failure that needs a person"


def test_the_banner_counts_down_to_the_next_try(qtbot: QtBot, qloop: QLoop) -> None:
    banner = QtConnectionBanner()
    qtbot.addWidget(banner)
    banner.show_problem("faraway", "the connection was lost: Connection refused", True, 2.0)
    assert banner.isVisible()
    text = banner.message.text()
    assert text.startswith("Not connected to faraway: the connection was lost")
    assert text.endswith("Connection refused. Trying again in 2 s…")
    qloop.until(lambda: "Trying again in 1 s…" in banner.message.text(), 3, "a second less")
    banner.show_problem("faraway", "the key was refused.", True)
    assert banner.message.text() == "Not connected to faraway: the key was refused."
    assert banner.edit_button.isVisibleTo(banner)
