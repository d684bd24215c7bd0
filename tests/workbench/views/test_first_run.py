"""First run: the welcome page on an empty broker, and each of its actions, in the real window."""

from __future__ import annotations

import pytest

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.models.field_series import FieldKind

pytestmark = pytest.mark.timeout(180)


def test_an_empty_broker_gets_the_welcome_page_and_a_scenario_in_one_click(
    qloop: QLoop, running: App
) -> None:
    window = running.window
    qloop.until(lambda: window.pages.currentWidget() is window.welcome, 30, "the welcome page")
    assert window.welcome.chosen_scenario() == "workout"
    window.welcome.demo_button.click()
    assert window.pages.currentWidget() is window.tabs
    assert window.tabs.currentWidget() is window.demo
    qloop.until(lambda: window.demo.run is not None and window.demo.run.running, 30, "the run")
    fields = window.demo.fields
    qloop.until(lambda: len(fields.series) == 3, 30, "the dashboard's field charts")
    qloop.until(lambda: all(s.points >= 5 for s in fields.series), 60, "values on the charts")
    assert [s.path for s in fields.series] == ["heart_rate", "pace_min_per_km", "cadence_spm"]
    assert all(s.kind is FieldKind.NUMERIC for s in fields.series)

    def time_axes_line_up() -> bool:  # events/s above pace, heart rate above cadence
        panels = [*fields._extra, *fields._panels.values()]
        lefts = [round(p.getViewBox().sceneBoundingRect().left()) for p in panels]
        return len(lefts) == 4 and lefts[0] == lefts[2] and lefts[1] == lefts[3]

    qloop.until(time_axes_line_up, 30, "the dashboard's time axes to line up")
    topics = running.session
    qloop.until(lambda: "workout.samples" in {t.name for t in topics.topics}, 30, "the topic")
    window.demo.stop()
    assert window.demo.run is None


def test_send_a_test_event_and_connect_your_code_from_the_welcome_page(
    qloop: QLoop, running: App
) -> None:
    window = running.window
    qloop.until(lambda: window.pages.currentWidget() is window.welcome, 30, "the welcome page")
    window.welcome.event_button.click()
    assert window.tabs.currentWidget() is window.producer
    qloop.until(lambda: window.producer.target() is not None, 30, "the test topic")
    composer = window.producer.composer
    composer.send()
    qloop.until(lambda: composer.result_label.text().startswith("Acked"), 30, "the ack")
    window.show_welcome()
    window.welcome.code_button.click()
    assert window.pages.currentWidget() is window.tabs
    dialogs = [w for w in window.findChildren(type(window.show_connect_code())) if w.isVisible()]
    assert dialogs


def test_a_broker_with_topics_opens_on_the_tabs(qloop: QLoop, running: App) -> None:
    window = running.window
    client = running.session.client
    assert client is not None
    qloop.run(client.create_topic("existing"))
    settings = running.broker.settings
    assert settings is not None
    qloop.run(running.session.drop_connection("again"))
    window.show_tabs()
    qloop.run(running.session.connect_to(settings, "again"))
    qloop.until(lambda: bool(running.session.topics), 30, "the topics")
    assert window.pages.currentWidget() is window.tabs
    window.show_welcome()  # Help → Welcome shows it any time
    assert window.pages.currentWidget() is window.welcome


def test_choosing_a_topic_or_a_tab_leaves_the_welcome_page(qloop: QLoop, running: App) -> None:
    window = running.window
    qloop.until(lambda: window.pages.currentWidget() is window.welcome, 30, "the welcome page")
    client = running.session.client
    assert client is not None
    topic = qloop.run(client.create_topic("made-elsewhere"))
    running.session.refresh_topics()
    qloop.until(lambda: running.session.topic(topic) is not None, 30, "the new topic")
    assert window.pages.currentWidget() is window.welcome, "a new topic alone changes nothing"
    window.topics.select_topic(topic)
    assert window.pages.currentWidget() is window.tabs
    window.show_welcome()
    current = window.tabs.currentIndex()
    window.show_tab(current)  # Ctrl+N for the tab already current
    assert window.pages.currentWidget() is window.tabs
    window.show_welcome()
    window.tabs.setCurrentWidget(window.charts)
    assert window.pages.currentWidget() is window.tabs
