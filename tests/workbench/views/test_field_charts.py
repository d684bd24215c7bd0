"""The Fields tab in the real window: a chart draws exactly the values published."""

from __future__ import annotations

import json

import pytest

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.client.records import NewEvent
from workbench.views.qt_field_chart import QtFieldChart

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


def test_a_dashboards_panels_of_any_scale_share_their_time_axis_position(
    qloop: QLoop, running: App
) -> None:
    session = running.session
    client = session.client
    assert client is not None
    topic = qloop.run(client.create_topic("scales"))
    values = [{"small": 0.5 + n / 10, "huge": 12_345_678 + n, "mid": 3 + n} for n in range(20)]
    qloop.run(client.publish(topic, [NewEvent(json.dumps(v).encode(), 50) for v in values]))
    chart = QtFieldChart(session, separate=True)
    chart.resize(900, 600)
    chart.show()
    try:
        for path in ("small", "huge", "mid"):  # two columns: small and mid share the first
            chart.add_series(topic, "scales", path)
        small, _huge, mid = chart.series
        qloop.until(lambda: all(len(chart.drawn_values(s)) == 20 for s in chart.series), 30)

        def lefts() -> list[int]:
            return [
                round(chart._panel(s).getViewBox().sceneBoundingRect().left()) for s in (small, mid)
            ]

        qloop.until(lambda: len(set(lefts())) == 1, 10, "small's and mid's time axes to line up")
        assert (
            chart._panel(small).getAxis("left").width() >= chart._panel(mid).getAxis("left").width()
        )
    finally:
        chart.close()
