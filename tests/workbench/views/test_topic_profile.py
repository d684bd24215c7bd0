"""The Profile tab against a real broker: figures, drift notices, following live, cancel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.serve_process import create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from tests.workbench.profile_topic import build_orders
from workbench.client.broker_rules import APPLICATION_JSON
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import NewEvent, TopicRow
from workbench.models.profile_drift import Drift
from workbench.views.qt_profile_tables import FIELD_COLUMNS
from workbench.views.qt_session import QtSession
from workbench.views.qt_themes import FontScaler
from workbench.views.qt_topic_profile import QtTopicProfile, drift_notice

BIG = 30_000


@dataclass
class Broker:
    settings: ConnectionSettings
    committed: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with running_broker(tmp_path_factory, "profile-view") as process:
        yield Broker(settings_for(process, create_key(process.data_dir, "demo", "all")))


@pytest.fixture
def session(qloop: QLoop, broker: Broker) -> Iterator[QtSession]:
    with connected_session(qloop, broker.settings) as session:
        if not broker.committed:

            async def build() -> None:
                client = session.client
                assert client is not None
                broker.committed.update((await build_orders(client))[1])
                big = await client.create_topic("big")
                for start in range(0, BIG, 1000):
                    events = [
                        NewEvent(json.dumps({"i": i}).encode(), APPLICATION_JSON)
                        for i in range(start, start + 1000)
                    ]
                    await client.publish(big, events)

            qloop.run(build(), timeout=120)
            session.refresh_topics()
            qloop.until(lambda: len(session.topics) == 2, what="the topics")
        yield session


def _topic(session: QtSession, name: str) -> TopicRow:
    return next(t for t in session.topics if t.name == name)


def _view(qtbot: QtBot, session: QtSession) -> QtTopicProfile:
    view = QtTopicProfile(session)
    qtbot.addWidget(view)
    view.follow_box.setChecked(False)
    return view


def _cell(view: QtTopicProfile, path: str, column: str) -> str:
    row = next(r for r in view.fields.rows if r[0].text == path)
    return row[FIELD_COLUMNS.index(column)].text


def test_the_whole_topic_shows_its_figures_and_drift_with_a_notice(
    qtbot: QtBot, qloop: QLoop, session: QtSession, broker: Broker
) -> None:
    view = _view(qtbot, session)
    notices: list[str] = []
    view.drift_noticed.connect(notices.append)
    view.set_topic(_topic(session, "orders"))
    view.start(whole=True)
    qloop.until(lambda: not view.is_reading(), what="the profile")
    assert view.fields.rowCount() == 6
    assert [_cell(view, "amount", c) for c in FIELD_COLUMNS] == [
        "amount",
        "integer 50%, string 50%",
        "0%",
        "0%",
        "2",
        "60",
        "31",
        "1",
        "60",
        "31.00 (1), 32.00 (1), 33.00 (1)",
    ]
    assert _cell(view, "score", "Null") == "20%"
    assert _cell(view, "coupon", "Missing") == "67%"
    assert [(r[0].text, r[2].text, r[3].text) for r in view.drift.rows] == [
        ("21", "note", "disappeared"),
        ("31", "amount", "type: integer → string"),
        ("41", "coupon", "appeared"),
    ]
    assert view.drift_title.text() == "Drift (3)"
    expected = drift_notice(
        "orders",
        [
            Drift("note", "disappeared", 21, broker.committed["21"]),
            Drift("amount", "type", 31, broker.committed["31"], "integer", "string"),
            Drift("coupon", "appeared", 41, broker.committed["41"]),
        ],
    )
    assert expected.startswith("Drift in orders: coupon appeared at offset 41 (")
    assert expected.endswith(", and 2 more")
    assert not view.banner.isHidden() and view.banner.label.text() == expected
    assert notices == ["Drift in orders: coupon appeared at offset 41 (+2 more)"]
    assert "62 events read · 60 JSON objects · 1 not JSON · 1 not objects" in view.status.text()


def test_a_sample_reads_the_last_events(qtbot: QtBot, qloop: QLoop, session: QtSession) -> None:
    view = _view(qtbot, session)
    view.set_topic(_topic(session, "orders"))
    view.sample_spin.setValue(25)
    view.start()
    qloop.until(lambda: not view.is_reading(), what="the sample")
    assert (view.snapshot.events, view.snapshot.first_offset) == (25, 38)
    assert [(r[0].text, r[2].text) for r in view.drift.rows] == [("41", "coupon")]
    assert view.progress.text() == "25 events"


def test_following_live_names_new_drift_in_the_banner_and_the_status(
    qtbot: QtBot, qloop: QLoop, session: QtSession
) -> None:
    client = session.client
    assert client is not None
    topic_id = qloop.run(client.create_topic("live"))
    first = [NewEvent(json.dumps({"v": n}).encode(), APPLICATION_JSON) for n in range(5)]
    qloop.run(client.publish(topic_id, first))
    session.refresh_topics()
    qloop.until(lambda: any(t.name == "live" for t in session.topics))
    view = _view(qtbot, session)
    notices: list[str] = []
    view.drift_noticed.connect(notices.append)
    view.follow_box.setChecked(True)
    view.set_topic(_topic(session, "live"))
    view.start()
    qloop.until(view.is_following, what="following")
    assert view.drift.rowCount() == 0 and view.banner.isHidden() and notices == []

    later = [NewEvent(json.dumps({"v": n, "tag": "x"}).encode(), APPLICATION_JSON) for n in (5, 6)]
    result = qloop.run(client.publish(topic_id, later))
    qloop.until(lambda: bool(notices), what="the drift notice")
    text = drift_notice("live", [Drift("tag", "appeared", 6, result.committed_ms)])
    assert notices == ["Drift in live: tag appeared at offset 6"]
    assert view.banner.label.text() == text and not view.banner.isHidden()
    assert [(r[0].text, r[2].text, r[3].text) for r in view.drift.rows] == [
        ("6", "tag", "appeared")
    ]
    assert view.snapshot.events == 7
    view.follow_box.setChecked(False)
    assert not view.is_following()


def test_cancel_stops_reading_and_keeps_what_was_read(
    qtbot: QtBot, qloop: QLoop, session: QtSession
) -> None:
    view = _view(qtbot, session)
    view.set_topic(_topic(session, "big"))
    view.start(whole=True)
    assert view.cancel_button.isEnabled()
    qloop.until(lambda: view.profiler is not None and view.profiler.events >= 1000)
    view.cancel()
    assert not view.is_reading() and not view.cancel_button.isEnabled()
    read = view.snapshot.events
    assert 1000 <= read < BIG
    qloop.run(asyncio.sleep(0.3))
    assert view.snapshot.events == read  # nothing more arrives
    assert _cell(view, "i", "Min") == "0"


def test_choosing_another_topic_starts_over(qtbot: QtBot, qloop: QLoop, session: QtSession) -> None:
    view = _view(qtbot, session)
    view.show()
    view.set_topic(_topic(session, "orders"))  # showing: a sample starts at once
    qloop.until(lambda: not view.is_reading() and view.fields.rowCount() == 6)
    view.set_topic(None)
    assert view.fields.rowCount() == 0 and view.drift.rowCount() == 0
    assert view.banner.isHidden() and not view.profile_button.isEnabled()


def test_in_presentation_mode_the_view_fits_beside_the_topics_at_1280x720(
    qtbot: QtBot, qloop: QLoop, session: QtSession
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    fonts = FontScaler(app)
    fonts.apply(True)
    try:
        view = _view(qtbot, session)
        view.set_topic(_topic(session, "orders"))
        view.start(whole=True)
        qloop.until(lambda: not view.is_reading() and view.drift.rowCount() == 3)
        qloop.run(asyncio.sleep(0.1))
        # the main window gives the topics panel at most 40% of the width
        assert view.minimumSizeHint().width() <= 1280 * 0.6 - 20
        assert view.minimumSizeHint().height() <= 720 - 200  # menu, toolbar, tabs, status bar
        for control in (view.sample_spin, view.whole_radio, view.follow_box, view.profile_button):
            assert control.minimumSizeHint().width() <= control.sizeHint().width()
    finally:
        fonts.apply(False)
