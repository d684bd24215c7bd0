"""Presentation mode on a 1280x720 projector: every view fits, the window never grows."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QScrollArea, QTabWidget
from pytestqt.qtbot import QtBot

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.views.qt_main_window import QtMainWindow
from workbench.views.qt_themes import Theme
from workbench.views.qt_topic_browser import NAME

pytestmark = pytest.mark.timeout(180)


def _scrolls(tabs: QTabWidget) -> bool:
    """Whether the current page shows a scroll bar (it needs more room than it has)."""
    area = QTabWidget.widget(tabs, tabs.currentIndex())  # the page's scroll area itself
    assert isinstance(area, QScrollArea) and area.isVisible()
    return area.horizontalScrollBar().isVisible() or area.verticalScrollBar().isVisible()


def _names_fit(window: QtMainWindow, names: list[str]) -> bool:
    """Whether the topics panel's Name column shows these names whole: each row's cell, from
    where its icon starts, is at least as wide as its delegate asks (icon, margins, text)."""
    view, proxy = window.topics.view, window.topics.proxy
    right = view.header().sectionViewportPosition(NAME) + view.header().sectionSize(NAME)
    found = 0
    for project in range(proxy.rowCount()):
        parent = proxy.index(project, NAME)
        for row in range(proxy.rowCount(parent)):
            index = proxy.index(row, NAME, parent)
            if index.data() in names:
                found += 1
                wanted = view.sizeHintForIndex(index).width()
                if view.visualRect(index).left() + wanted > right:
                    return False
    assert found == len(names), "every name is listed"
    return True


def test_topic_names_are_whole_at_the_normal_size(qtbot: QtBot, qloop: QLoop, running: App) -> None:
    window = running.window
    window.resize(1440, 880)
    client = running.session.client
    assert client is not None
    names = ["app-logs", "sensor-readings", "orders.eu-west-1"]
    for name in names:
        qloop.run(client.create_topic(name))
    running.session.refresh_topics()
    qloop.until(lambda: len(running.session.topics) == 3, 30, "the topics")
    qtbot.wait(200)
    assert _names_fit(window, names)


def test_every_view_fits_a_projector_in_presentation_mode(
    qtbot: QtBot, qloop: QLoop, running: App
) -> None:
    window = running.window
    qloop.until(lambda: window.pages.currentWidget() is window.welcome, 30, "the welcome page")
    window.presentation_action.trigger()
    qtbot.wait(200)
    assert (window.width(), window.height()) == (1280, 720)
    window.welcome.demo_button.click()  # a scenario's dashboard, and topics in every view
    qloop.until(lambda: window.demo.run is not None and window.demo.run.running, 30, "the run")
    qloop.until(lambda: len(window.demo.fields.series) == 3, 30, "the dashboard")
    client = running.session.client
    assert client is not None
    qloop.run(client.create_topic("sensor-readings.eu-west-1"))
    running.session.refresh_topics()
    qloop.until(lambda: len(running.session.topics) == 2, 30, "the second topic")
    qtbot.wait(200)
    assert _names_fit(window, ["workout.samples", "sensor-readings.eu-west-1"])
    for theme in (Theme.LIGHT, Theme.DARK):  # a theme switch lays every page out again
        window.set_theme(theme)
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            qtbot.wait(100)
            name = window.tabs.tabText(index)
            assert (window.width(), window.height()) == (1280, 720), f"{name} grew the window"
            assert not _scrolls(window.tabs), f"{name} does not fit ({theme.name})"
        window.tabs.setCurrentWidget(window.producer)
        producer = window.producer.pages
        for index in range(producer.count()):
            producer.setCurrentIndex(index)
            qtbot.wait(50)
            assert not _scrolls(producer), f"Produce → {producer.tabText(index)} does not fit"
    window.presentation_action.trigger()
