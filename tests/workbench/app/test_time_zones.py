"""Every time the window shows says whether it is local or UTC; a View setting chooses; exports
keep their own representation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop
from workbench.client.records import NewEvent
from workbench.models.event_export import ExportFormat
from workbench.models.event_pages import Column
from workbench.models.key_listing import CREATED
from workbench.views.qt_topic_browser import NAME

CREATED_MS = 1_714_564_800_123  # 2024-05-01T12:00:00.123Z: 17:30:00.123 in Kolkata


@pytest.fixture(autouse=True)
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time five and a half hours ahead of UTC, so the two differ."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _headers(model: QAbstractItemModel) -> list[str]:
    return [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]


def _zone_action(app: App, text: str) -> QAction:
    view = next(a.menu() for a in app.window.menuBar().actions() if a.text() == "&View")
    assert isinstance(view, QMenu)
    zones = next((a.menu() for a in view.actions() if a.text() == "Time zone"), None)
    assert isinstance(zones, QMenu), [a.text() for a in view.actions()]
    return next(a for a in zones.actions() if a.text() == text)


def _wall(ms: int, utc: bool) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC if utc else None)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{ms % 1000:03d}"


@pytest.mark.timeout(120)
def test_every_displayed_time_says_its_zone_and_a_view_setting_chooses_it(
    qtbot: QtBot, app: App, qloop: QLoop, tmp_path: Path
) -> None:
    app.start(qloop)
    window, session = app.window, app.session
    client = session.client
    assert client is not None
    topic_id = qloop.run(client.create_topic("times"))
    event = NewEvent(b'{"n": 1}', 50, "Tick", metadata={"k": "v"}, created_ms=CREATED_MS)
    qloop.run(client.publish(topic_id, [event]))
    session.refresh_topics()
    qloop.until(lambda: any(t.name == "times" and t.events for t in session.topics), 10)
    window.topics.select_topic(topic_id)
    events = window.events
    qloop.until(lambda: events.model.event_at(0) is not None, 10, "the event")
    events.jump_to_start()
    qloop.until(lambda: window.detail.current_event is not None, 10, "the detail")
    window.tabs.setCurrentWidget(window.charts)
    qloop.until(lambda: "—" not in window.charts.readout_label.text(), 20, "the charts' values")
    window.query.run_query("SELECT * FROM times")
    qloop.until(lambda: window.query.model.rowCount() == 1, 10, "the query's result")
    window.keys_view.refresh_projects()
    qloop.until(lambda: bool(window.keys_view.listed_keys()), 10, "the keys")
    own = client.settings.client_id

    def shown(utc: bool) -> None:
        zone = "UTC" if utc else "local"
        table = events.model
        assert f"Committed ({zone})" in _headers(table) and f"Created ({zone})" in _headers(table)
        assert table.data(table.index(0, Column.CREATED)) == _wall(CREATED_MS, utc)
        assert window.detail.header_value("Created") == f"{_wall(CREATED_MS, utc)} {zone}"
        assert window.detail.header_value("Committed").endswith(f" {zone}")
        assert f"Committed ({zone})" in _headers(window.query.model)
        tip = window.query.model.data(window.query.model.index(0, 1), Qt.ItemDataRole.ToolTipRole)
        assert str(tip).count(f" {zone}") == 2  # committed and created
        assert events.time_label.text().strip() == f"Time ({zone})"
        assert window.charts.readout_label.text().endswith(f" {zone}</b>")
        assert window.charts.axis_label() == f"Time ({zone})"
        topic_tip = window.topics.model.item(0).child(0, NAME).toolTip()
        assert "Last event: " in topic_tip and f" {zone}\n" in topic_tip
        _, key_tip = window.keys_view.cell(own, CREATED)
        assert key_tip.endswith(f" {zone}")

    shown(utc=False)  # the default
    exports = {}
    for zone in ("UTC", "Local time"):
        _zone_action(app, zone).trigger()
        shown(utc=zone == "UTC")
        for fmt in ExportFormat:
            path = tmp_path / f"{zone}.{fmt.suffix}"
            job = window.query.export_results(path, fmt, show_progress=False)
            qloop.until(lambda job=job: job.done, 10, "the export")  # type: ignore[misc]
            exports[zone, fmt] = path.read_bytes()
    for fmt in ExportFormat:
        assert exports["UTC", fmt] == exports["Local time", fmt], "exports ignore the setting"

    _zone_action(app, "UTC").trigger()
    window.save_state()
    again = App(tmp_path)
    qtbot.addWidget(again.window)
    assert _zone_action(again, "UTC").isChecked()
    assert "Committed (UTC)" in _headers(again.window.events.model)
