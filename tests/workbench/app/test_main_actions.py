"""The main actions are reachable from anywhere: menus, the command palette, and shortcuts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QWidget
from pytestqt.qtbot import QtBot

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.views.qt_topic_dialogs import QtNewTopicDialog


def _open_new_topic_dialogs(app: App) -> list[QtNewTopicDialog]:
    return [d for d in app.window.findChildren(QtNewTopicDialog) if d.isVisible()]


def _close_dialogs(qtbot: QtBot, app: App) -> None:
    for dialog in _open_new_topic_dialogs(app):
        dialog.reject()
    qtbot.waitUntil(lambda: not _open_new_topic_dialogs(app))


def _focus(qtbot: QtBot, widget: QWidget) -> None:
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


@pytest.mark.timeout(120)
def test_new_topic_is_in_the_file_menu_and_the_palette_and_ctrl_n_works_anywhere(
    qtbot: QtBot, app: App, qloop: QLoop
) -> None:
    app.start(qloop)
    window = app.window
    qtbot.waitExposed(window)
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    new_topic = next((a for a in file_menu.actions() if a.text() == "New topic…"), None)
    assert new_topic is not None, [a.text() for a in file_menu.actions()]
    assert new_topic.shortcut().toString() == "Ctrl+N"

    for tab, focus in (
        (window.query, window.query.editor),
        (window.event_split, window.events.view),
        (window.producer, window.producer.topic_combo),
        (window.charts, window.charts.topic_combo),
    ):
        window.tabs.setCurrentWidget(tab)
        _focus(qtbot, focus)
        qtbot.keyClick(focus, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: bool(_open_new_topic_dialogs(app)), timeout=2000)
        _close_dialogs(qtbot, app)

    window.show_palette()
    qtbot.keyClicks(window.palette_popup.search, "new topic")
    entry = window.palette_popup.current_entry()
    assert entry is not None and entry.title == "New topic…" and entry.subtitle == "Ctrl+N"
    qtbot.keyClick(window.palette_popup.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(_open_new_topic_dialogs(app)), timeout=2000)
    _close_dialogs(qtbot, app)


def test_the_palette_says_what_start_and_stop_act_on(qtbot: QtBot, app: App) -> None:
    window = app.window
    window.show()
    window.show_palette()
    titles = [entry.title for entry in window.palette_popup.entries()]
    window.palette_popup.hide()
    assert not {"Start", "Stop", "Restart"} & set(titles), titles
    for title in ("Start embedded broker", "Stop embedded broker", "Restart embedded broker"):
        assert title in titles
