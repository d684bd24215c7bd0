"""The whole app: window, embedded broker and session; state remembered; nothing left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.serve_process import process_alive
from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.app.display import NO_DISPLAY_MESSAGE, missing_display
from workbench.models.broker_status import BrokerState
from workbench.models.event_pages import Column
from workbench.models.profiles import EMBEDDED
from workbench.views.qt_main_window import QtMainWindow
from workbench.views.qt_themes import FontScaler, Theme
from workbench.views.qt_topic_browser import NAME, NAME_CHARS


@pytest.mark.timeout(120)
def test_the_app_starts_its_broker_connects_and_leaves_nothing_behind(
    app: App, qloop: QLoop
) -> None:
    app.start(qloop)
    assert app.broker.state is BrokerState.READY
    assert "Ready" in app.window.broker_state.text()
    assert app.window.connection_state.text() == f"Connected to {EMBEDDED}"
    client = app.session.client
    assert client is not None
    qloop.run(client.create_topic("hello"))
    app.session.refresh_topics()
    qloop.until(lambda: any(t.name == "hello" for t in app.session.topics), 10, "the topic")
    pid = app.broker.pid
    assert pid is not None
    app.quit(qloop)
    assert not process_alive(pid)
    assert app.broker.state is BrokerState.STOPPED


@pytest.mark.timeout(120)
def test_window_state_theme_and_presentation_mode_are_remembered(
    qtbot: QtBot, app: App, qloop: QLoop, tmp_path: Path
) -> None:
    window = app.window
    window.show()
    base_size = window.font().pointSizeF()
    window.tabs.setCurrentIndex(2)
    window.set_theme(Theme.DARK)
    window.presentation_action.trigger()
    qtbot.waitUntil(lambda: window.font().pointSizeF() >= base_size * 1.4)
    window.save_state()
    window.close()

    again = App(tmp_path)
    qtbot.addWidget(again.window)
    assert again.window.tabs.currentIndex() == 2
    assert again.window.presentation_action.isChecked()
    checked = again.window.theme_group.checkedAction()
    assert checked is not None and checked.data() == Theme.DARK.value
    again.window.presentation_action.trigger()  # back to normal for the other tests
    again.window.set_theme(Theme.LIGHT)


def _shown(qtbot: QtBot, window: QtMainWindow, width: int, height: int) -> QtMainWindow:
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.width() == width)
    return window


def test_presentation_mode_widens_the_topics_panel_within_the_window(
    qtbot: QtBot, app: App
) -> None:
    window = _shown(qtbot, app.window, 1440, 880)
    view = window.topics.view

    def name_chars() -> float:
        return view.header().sectionSize(NAME) / view.fontMetrics().averageCharWidth()

    normal_width = window.topics_dock.width()
    base_size = view.font().pointSizeF()
    window.presentation_action.trigger()
    try:
        qtbot.waitUntil(lambda: view.font().pointSizeF() >= base_size * 1.4)
        qtbot.waitUntil(lambda: window.topics_dock.width() >= window.topics.preferred_width())
        assert window.topics_dock.width() > normal_width * 1.2
        assert name_chars() >= NAME_CHARS, "names keep their room in the larger font"
        assert window.width() == 1440, "the window is not pushed wider than it was"
    finally:
        window.presentation_action.trigger()


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


def _name_chars(window: QtMainWindow) -> float:
    view = window.topics.view
    return view.header().sectionSize(NAME) / view.fontMetrics().averageCharWidth()


@pytest.mark.timeout(120)
def test_a_layout_saved_in_presentation_mode_shows_the_topic_names_and_normal_widths_come_back(
    qtbot: QtBot, tmp_path: Path
) -> None:
    first = App(tmp_path)
    qtbot.addWidget(first.window)
    window = _shown(qtbot, first.window, 1440, 880)
    normal_dock = window.topics_dock.width()
    assert _name_chars(window) >= NAME_CHARS
    window.presentation_action.trigger()
    qtbot.waitUntil(lambda: window.topics_dock.width() >= window.topics.preferred_width())
    window.close()  # quit in presentation mode: the layout is saved
    FontScaler(QApplication.instance()).apply(False)  # as in a new process

    again = App(tmp_path)
    qtbot.addWidget(again.window)
    window = again.window
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    assert window.presentation_action.isChecked()
    assert _name_chars(window) >= NAME_CHARS, "the restored layout hides the topic names"

    window.presentation_action.trigger()  # leave presentation mode
    qtbot.waitUntil(lambda: not window.presentation_action.isChecked())
    qtbot.wait(50)
    assert abs(window.topics_dock.width() - normal_dock) <= 2, "the topics panel stays wide"
    assert _name_chars(window) >= NAME_CHARS


def test_the_event_tables_default_columns_fit_a_1366_px_window_with_the_preview_visible(
    qtbot: QtBot, app: App
) -> None:
    window = _shown(qtbot, app.window, 1366, 768)
    view = window.events.view
    width = view.viewport().width()
    size_end = view.columnViewportPosition(Column.SIZE) + view.columnWidth(Column.SIZE)
    assert size_end <= width, "the Size column is off screen"
    preview = width - view.columnViewportPosition(Column.PREVIEW)
    assert preview >= 20 * view.fontMetrics().averageCharWidth(), f"Preview gets {preview} px"
