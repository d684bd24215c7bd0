"""The Fields tab in the real window: a chart draws exactly the values published."""

from __future__ import annotations

import json

import pytest

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.client.records import NewEvent

pytestmark = pytest.mark.timeout(180)

PUBLISHED = [
    {"heart_rate": 61, "zone": "easy"},
    {"heart_rate": 72.5, "zone": "easy"},
    {"heart_rate": "n/a", "zone": "hard"},
    {"zone": "hard"},
    {"heart_rate": None, "zone": "hard"},
    {"heart_rate": 140, "zone": "peak"},
]


def test_the_fields_tab_draws_exactly_the_published_values_and_counts_the_rest(
    qloop: QLoop, running: App
) -> None:
    window, session = running.window, running.session
    client = session.client
    assert client is not None
    topic = qloop.run(client.create_topic("workout"))
    events = [NewEvent(json.dumps(e).encode(), 50) for e in PUBLISHED]
    events.append(NewEvent(b"not json", 0))
    qloop.run(client.publish(topic, events))
    session.refresh_topics()
    window.show_tabs()
    window.tabs.setCurrentWidget(window.fields)
    panel = window.fields
    qloop.until(lambda: panel.topic_combo.findText("workout") >= 0, 30, "the topic in the picker")
    panel.topic_combo.setCurrentIndex(panel.topic_combo.findText("workout"))
    qloop.until(lambda: panel.path_combo.count() == 2, 30, "the fields suggested")
    assert [panel.path_combo.itemText(i) for i in range(2)] == ["heart_rate", "zone"]

    panel.path_combo.setEditText("heart_rate")
    panel.add_current()
    panel.path_combo.setEditText("zone")
    panel.add_current()
    rate, zone = panel.chart.series
    qloop.until(lambda: panel.chart.drawn_values(rate) == [61, 72.5, 140], 30, "the curve")
    qloop.until(
        lambda: dict(panel.chart.drawn_counts()) == {"hard": 3, "easy": 2, "peak": 1},
        30,
        "the bars",
    )
    status = panel.chart.status.text()  # without: one event lacks it, one is not JSON
    assert "3 values, 2 without the field, 2 not numbers (skipped)" in status

    qloop.run(client.publish(topic, [NewEvent(b'{"heart_rate": 150, "zone": "peak"}', 50)]))
    qloop.until(lambda: panel.chart.drawn_values(rate)[-1:] == [150], 30, "a live value")
    assert panel.chart.drawn_values(rate) == [61, 72.5, 140, 150]

    panel.path_combo.setEditText("heart_rate")
    panel.add_current()
    assert panel.problem.isVisibleTo(panel) and "already" in panel.problem.text()
    panel.path_combo.setEditText("a..b")
    panel.add_current()
    assert panel.problem.text().startswith("Not a field path")
    assert len(panel.chart.series) == 2 and zone in panel.chart.series
