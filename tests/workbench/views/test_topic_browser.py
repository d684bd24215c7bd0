"""The topic browser against a real broker: the tree, live numbers, actions and dialogs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.records import NewEvent, TopicRow
from workbench.models.event_pages import human_bytes
from workbench.models.topic_tree import TopicTree, diff, format_rate
from workbench.views.qt_session import QtSession
from workbench.views.qt_topic_browser import (
    ARCHIVED_ROLE,
    EVENTS,
    ID_ROLE,
    KIND_ROLE,
    NAME,
    PROJECT,
    RATE,
    SIZE,
    QtTopicBrowser,
)

OK = QDialogButtonBox.StandardButton.Ok


@dataclass
class Broker:
    process: BrokerProcess
    demo: ConnectionSettings  # a key of project "demo"
    analytics: ConnectionSettings  # a key of project "analytics"


def _settings(process: BrokerProcess, project: str) -> ConnectionSettings:
    key = create_key(process.data_dir, project, "all")
    return settings_for(process, key)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with running_broker(tmp_path_factory, "topic-browser") as process:
        yield Broker(process, _settings(process, "demo"), _settings(process, "analytics"))


@pytest.fixture
def session(qloop: QLoop, broker: Broker) -> Iterator[QtSession]:
    with connected_session(qloop, broker.demo) as connected:
        yield connected


@pytest.fixture
def browser(qtbot: QtBot, session: QtSession) -> QtTopicBrowser:
    browser = QtTopicBrowser(session)
    qtbot.addWidget(browser)
    browser.resize(700, 500)
    browser.show()
    return browser


# -- helpers ------------------------------------------------------------------------------------


def _children(browser: QtTopicBrowser, parent: QModelIndex) -> list[QModelIndex]:
    model = browser.proxy
    return [model.index(row, NAME, parent) for row in range(model.rowCount(parent))]


def _visible(browser: QtTopicBrowser) -> dict[str, list[str]]:
    """Project name -> the names shown for its topics, as the user sees them."""
    return {
        str(project.data()): [str(topic.data()) for topic in _children(browser, project)]
        for project in _children(browser, QModelIndex())
    }


def _index(browser: QtTopicBrowser, item_id: bytes) -> QModelIndex:
    for project in _children(browser, QModelIndex()):
        if project.data(ID_ROLE) == item_id:
            return project
        for topic in _children(browser, project):
            if topic.data(ID_ROLE) == item_id:
                return topic
    return QModelIndex()


def _cell(browser: QtTopicBrowser, item_id: bytes, column: int) -> str:
    index = _index(browser, item_id)
    assert index.isValid(), "the row is not shown"
    return str(index.siblingAtColumn(column).data())


def _project_id(session: QtSession, name: str) -> bytes:
    return next(t.project_id for t in session.topics if t.project_name == name)


async def _publish(client: BrokerClient, topic_id: bytes, count: int) -> None:
    await client.publish(topic_id, [NewEvent(b'{"n": %d}' % i, 2) for i in range(count)])


def _create(qloop: QLoop, session: QtSession, *names: str) -> list[bytes]:
    client = session.client
    assert client is not None
    ids = [qloop.run(client.create_topic(name)) for name in names]
    session.refresh_topics()
    qloop.until(lambda: all(session.topic(i) for i in ids), what="the new topics to be listed")
    return ids


def _topic(session: QtSession, topic_id: bytes) -> TopicRow:
    topic = session.topic(topic_id)
    assert topic is not None
    return topic


# -- the tree -----------------------------------------------------------------------------------


def test_topics_appear_under_their_projects_with_counts_and_totals(
    qloop: QLoop, broker: Broker, session: QtSession, browser: QtTopicBrowser
) -> None:
    other = BrokerClient(broker.analytics)
    qloop.run(other.login())
    clicks = qloop.run(other.create_topic("tree.clicks"))
    qloop.run(_publish(other, clicks, 30))
    qloop.run(other.close())
    first, second = _create(qloop, session, "tree.orders", "tree.payments")
    assert session.client is not None
    qloop.run(_publish(session.client, first, 120))
    browser.refresh()
    qloop.until(lambda: _cell(browser, first, EVENTS) == "120", what="the event count")
    qloop.until(lambda: "tree.clicks" in _visible(browser).get("analytics", []), what="clicks")

    shown = _visible(browser)
    assert {"tree.orders", "tree.payments"} <= set(shown["demo"])
    assert shown["analytics"] == sorted(shown["analytics"], key=str.lower)
    assert list(shown) == sorted(shown, key=str.lower)
    assert _cell(browser, second, EVENTS) == "0"
    assert _cell(browser, clicks, EVENTS) == "30"
    assert _cell(browser, first, SIZE) == human_bytes(_topic(session, first).bytes)
    assert _cell(browser, second, RATE) == "—"

    demo = _project_id(session, "demo")
    assert _index(browser, demo).data(KIND_ROLE) == PROJECT
    total = sum(t.events for t in session.topics if t.project_name == "demo")
    assert _cell(browser, demo, EVENTS) == f"{total:,}"
    assert browser.view.isExpanded(_index(browser, demo))
    assert "Project: demo" in str(_index(browser, first).data(Qt.ItemDataRole.ToolTipRole))


def test_publishing_updates_numbers_in_place_keeping_selection_expansion_and_scroll(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    ids = _create(qloop, session, *(f"live.t{n:02d}" for n in range(30)))
    other = _create(qloop, session, "live.zz-last")[0]
    other_client = session.client
    assert other_client is not None
    qloop.until(lambda: _index(browser, ids[-1]).isValid(), what="the topics in the tree")
    target = ids[5]
    selected: list[object] = []
    browser.topic_selected.connect(selected.append)
    browser.select_topic(target)
    assert browser.selected_topic() is not None
    assert browser.selected_topic() == session.topic(target)
    assert selected == [session.topic(target)]

    browser.resize(700, 200)  # small enough to scroll
    scroll = browser.view.verticalScrollBar()
    qloop.until(lambda: scroll.maximum() > 0, what="a scroll bar")
    scroll.setValue(scroll.maximum() // 2)
    position = scroll.value()
    collapsed_project = next(p for p in session.topics if p.project_name == "analytics")
    analytics = _index(browser, collapsed_project.project_id)
    browser.view.collapse(analytics)
    resets: list[str] = []
    browser.proxy.modelReset.connect(lambda: resets.append("reset"))
    browser.proxy.layoutChanged.connect(lambda: resets.append("layout"))
    browser.model.rowsRemoved.connect(lambda *_: resets.append("removed"))

    before = _topic(session, target).events
    qloop.run(_publish(other_client, target, 7))
    qloop.run(_publish(other_client, other, 3))
    qloop.until(
        lambda: _cell(browser, target, EVENTS) == f"{before + 7:,}",
        what="the periodic refresh to show the new count",
    )
    assert resets == []
    current = browser.selected_topic()
    assert current is not None and current.id == target and current.events == before + 7
    assert len(selected) == 1  # a refresh is not a new selection
    assert not browser.view.isExpanded(_index(browser, collapsed_project.project_id))
    assert browser.view.isExpanded(_index(browser, _project_id(session, "demo")))
    assert scroll.value() == position


def test_the_rate_column_shows_a_positive_rate_while_publishing(
    qloop: QLoop, session: QtSession, browser: QtTopicBrowser
) -> None:
    (topic_id,) = _create(qloop, session, "rate.busy")
    client = session.client
    assert client is not None

    async def keep_publishing() -> None:
        while True:
            await _publish(client, topic_id, 20)
            await asyncio.sleep(0.05)

    publisher = asyncio.ensure_future(keep_publishing())
    try:
        qloop.until(
            lambda: _cell(browser, topic_id, RATE) not in ("—", ""),
            what="a rate for the busy topic",
        )
        rate = float(_cell(browser, topic_id, RATE).removesuffix("/s").replace(",", ""))
        assert rate > 0
        demo = _project_id(session, "demo")
        assert _cell(browser, demo, RATE) != "—"
    finally:
        publisher.cancel()
        qloop.until(publisher.done, what="the publisher to stop")


# -- actions and dialogs ------------------------------------------------------------------------


def test_new_topic_dialog_validates_and_creates_and_selects_the_topic(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    dialog = browser.ask_new_topic()
    assert dialog.isVisible()
    ok = dialog.button(OK)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "9lives")
    assert not ok.isEnabled()
    assert "must start with a letter" in dialog.message.text()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "new.from dialog")
    assert not ok.isEnabled()
    assert "may contain only" in dialog.message.text()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "new.from-dialog")
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qloop.until(
        lambda: (t := browser.selected_topic()) is not None and t.name == "new.from-dialog",
        what="the new topic to be listed and selected",
    )
    assert "new.from-dialog" in _visible(browser)["demo"]

    task = browser.create_topic_named("new.direct")
    assert task is not None
    qloop.until(task.done, what="the broker call")
    qloop.until(lambda: "new.direct" in _visible(browser)["demo"], what="new.direct")


def test_the_new_topic_dialog_picks_the_project_among_all_of_them(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    client = session.client
    assert client is not None
    qloop.run(client.create_project("no-topics-yet"))
    dialog = browser.ask_new_topic()
    box = dialog.project_box
    assert box.currentText() == "demo", "the key's own project first"
    qloop.until(lambda: box.findText("no-topics-yet") >= 0, what="every project to be listed")
    assert box.currentText() == "demo"
    box.setCurrentIndex(box.findText("no-topics-yet"))
    qtbot.keyClicks(dialog.name_edit, "first.of.its.project")
    qtbot.mouseClick(dialog.button(OK), Qt.MouseButton.LeftButton)
    qloop.until(
        lambda: "first.of.its.project" in _visible(browser).get("no-topics-yet", []),
        what="the topic in the chosen project",
    )


def test_a_failed_create_is_reported_on_the_session(
    qloop: QLoop, session: QtSession, browser: QtTopicBrowser
) -> None:
    _create(qloop, session, "dup.name")
    errors: list[str] = []
    session.error.connect(errors.append)
    task = browser.create_topic_named("dup.name")
    assert task is not None
    qloop.until(lambda: bool(errors), what="an error")
    assert "creating topic dup.name failed" in errors[0]


def test_destroy_needs_the_exact_name_then_removes_the_topic(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    (topic_id,) = _create(qloop, session, "doomed.topic")
    assert session.client is not None
    qloop.run(_publish(session.client, topic_id, 5))
    browser.refresh()
    qloop.until(lambda: _topic(session, topic_id).events == 5, what="the count")
    qloop.until(lambda: _index(browser, topic_id).isValid(), what="the row")
    browser.select_topic(topic_id)
    selections: list[TopicRow | None] = []
    browser.topic_selected.connect(selections.append)

    dialog = browser.ask_destroy()
    assert dialog is not None and dialog.isVisible()
    assert "This deletes 5 events" in dialog.explanation.text()
    ok = dialog.button(OK)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "doomed")
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name_edit, ".Topic")
    assert not ok.isEnabled()  # the case must match too
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "doomed.topic ")
    assert not ok.isEnabled()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Backspace)
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    qloop.until(lambda: not _index(browser, topic_id).isValid(), what="the row to go")
    assert session.topic(topic_id) is None
    assert selections == [None]
    assert browser.selected_topic() is None
    assert not browser.destroy_action.isEnabled()


def test_destroy_dialog_cancel_keeps_the_topic(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    (topic_id,) = _create(qloop, session, "kept.topic")
    dialog = browser.ask_destroy(_topic(session, topic_id))
    assert dialog is not None
    qtbot.keyClicks(dialog.name_edit, "kept.topic")
    dialog.reject()
    browser.refresh()
    qloop.run(asyncio.sleep(0.3))
    assert session.topic(topic_id) is not None


def test_archive_marks_the_topic_archived(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    (topic_id,) = _create(qloop, session, "old.topic")
    qloop.until(lambda: _index(browser, topic_id).isValid(), what="the row")
    browser.select_topic(topic_id)
    assert browser.archive_action.isEnabled()
    box = browser.ask_archive()
    assert box is not None and isinstance(box, QMessageBox)
    archive = next(b for b in box.buttons() if b.text() == "Archive")
    qtbot.mouseClick(archive, Qt.MouseButton.LeftButton)

    qloop.until(lambda: _topic(session, topic_id).readonly, what="the topic to be archived")
    qloop.until(lambda: _cell(browser, topic_id, NAME) == "old.topic (archived)", what="label")
    assert _index(browser, topic_id).data(ARCHIVED_ROLE) is True
    assert browser.selected_topic() == session.topic(topic_id)
    assert not browser.archive_action.isEnabled()
    assert not browser.dedup_action.isEnabled()
    assert browser.destroy_action.isEnabled()
    assert browser.ask_archive() is None


def test_dedup_dialog_validates_and_applying_changes_the_policy(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    (topic_id,) = _create(qloop, session, "dedup.topic")
    dialog = browser.ask_dedup(_topic(session, topic_id))
    assert dialog is not None
    ok = dialog.button(OK)
    assert dialog.strategy() == "NONE"
    assert ok.isEnabled()
    assert not dialog.keys_edit.isEnabled() and not dialog.fields_edit.isEnabled()

    dialog.set_strategy("UNIQUE_KEY")
    assert "same values of the given metadata keys" in dialog.explanation.text()
    assert dialog.keys_edit.isEnabled() and not dialog.fields_edit.isEnabled()
    assert not ok.isEnabled()
    assert "needs at least one metadata key" in dialog.message.text()
    qtbot.keyClicks(dialog.keys_edit, " , ")
    assert not ok.isEnabled()

    dialog.set_strategy("UNIQUE_FIELD")
    assert not ok.isEnabled()
    assert "needs at least one JSON field" in dialog.message.text()
    qtbot.keyClicks(dialog.fields_edit, "order_id")
    assert ok.isEnabled()
    assert dialog.fields() == ["order_id"]

    dialog.set_strategy("UNIQUE_KEY")
    dialog.keys_edit.clear()
    qtbot.keyClicks(dialog.keys_edit, "customer, region")
    assert ok.isEnabled()
    assert dialog.keys() == ["customer", "region"]
    assert dialog.fields() == []  # not sent for a key strategy
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    qloop.until(
        lambda: _topic(session, topic_id).dedup_strategy == "UNIQUE_KEY",
        what="the new policy",
    )
    assert _topic(session, topic_id).dedup_keys == ("customer", "region")
    assert "Unique Key (keys: customer, region)" in str(
        _index(browser, topic_id).data(Qt.ItemDataRole.ToolTipRole)
    )

    again = browser.ask_dedup(_topic(session, topic_id))
    assert again is not None
    assert again.strategy() == "UNIQUE_KEY" and again.keys() == ["customer", "region"]
    again.set_strategy("DATAGRAM")
    assert again.keys() == []
    again.reject()
    task = browser.apply_dedup(_topic(session, topic_id), "DATAGRAM", [], [])
    assert task is not None
    qloop.until(task.done, what="the broker call")
    qloop.until(lambda: _topic(session, topic_id).dedup_strategy == "DATAGRAM", what="DATAGRAM")


# -- search and keyboard ------------------------------------------------------------------------


def test_the_search_box_hides_topics_that_do_not_match(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    shown_id, hidden_id = _create(qloop, session, "search.Needle-one", "search.haystack")
    qloop.until(lambda: _index(browser, hidden_id).isValid(), what="the rows")
    browser.select_topic(hidden_id)
    selections: list[TopicRow | None] = []
    browser.topic_selected.connect(selections.append)

    qtbot.keyClicks(browser.search, "needle")
    shown = _visible(browser)
    assert shown == {"demo": ["search.Needle-one"]}
    assert selections == []  # hiding the selected topic does not deselect it elsewhere

    browser.search.clear()
    qtbot.keyClicks(browser.search, "no such topic")
    assert _visible(browser) == {}
    assert "No topic name contains" in browser.view.empty_text

    browser.select_topic(shown_id)  # revealing a hidden topic clears the search
    assert browser.search.text() == ""
    assert browser.selected_topic() == session.topic(shown_id)
    assert "search.haystack" in _visible(browser)["demo"]
    assert browser.view.isExpanded(_index(browser, _project_id(session, "demo")))


def test_keyboard_shortcuts_open_the_dialogs(
    qloop: QLoop, qtbot: QtBot, session: QtSession, browser: QtTopicBrowser
) -> None:
    (topic_id,) = _create(qloop, session, "keys.topic")
    qloop.until(lambda: _index(browser, topic_id).isValid(), what="the row")
    browser.select_topic(topic_id)

    def focus_tree() -> None:
        browser.activateWindow()
        browser.view.setFocus()
        qtbot.waitUntil(browser.view.hasFocus)

    for key, modifier, title in (
        (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier, "Destroy keys.topic"),
        (Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier, "New topic"),
        (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier, "Destroy keys.topic"),
    ):
        focus_tree()
        qtbot.keyClick(browser.view, key, modifier)
        dialogs = [w for w in browser.findChildren(QDialogButtonBox) if w.window().isVisible()]
        assert [d.window().windowTitle() for d in dialogs] == [title]
        dialogs[0].window().close()
    focus_tree()
    qtbot.keyClick(browser.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert browser.search.hasFocus()
    qtbot.keyClicks(browser.search, "keys")
    qtbot.keyClick(browser.search, Qt.Key.Key_Delete)  # edits the search text, no dialog
    assert not any(w.window().isVisible() for w in browser.findChildren(QDialogButtonBox))
    qtbot.keyClick(browser.search, Qt.Key.Key_Escape)  # clears the search, back to the tree
    assert browser.search.text() == ""
    assert browser.view.hasFocus()
    assert browser.selected_topic() == session.topic(topic_id)


def test_disconnecting_empties_the_tree_and_reconnecting_fills_it(
    qloop: QLoop, broker: Broker, session: QtSession, browser: QtTopicBrowser
) -> None:
    (topic_id,) = _create(qloop, session, "reconnect.topic")
    qloop.until(lambda: _index(browser, topic_id).isValid(), what="the row")
    qloop.run(session.drop_connection())
    assert _visible(browser) == {}
    assert browser.view.empty_text == "Not connected to a broker."
    assert not browser.new_action.isEnabled()
    qloop.run(session.connect_to(broker.demo))
    qloop.until(lambda: _index(browser, topic_id).isValid(), what="the row again")
    assert browser.new_action.isEnabled()


# -- the model without Qt -----------------------------------------------------------------------


def _row(topic_id: bytes, project: bytes, name: str, events: int = 0, **kw: object) -> TopicRow:
    values: dict[str, object] = dict(
        id=topic_id,
        project_id=project,
        project_name=project.decode(),
        name=name,
        readonly=False,
        events=events,
        bytes=events * 10,
        duplicates=0,
        first_offset=1,
        last_offset=events,
        last_committed_ms=0,
        dedup_strategy="NONE",
    )
    values.update(kw)
    return TopicRow(**values)  # type: ignore[arg-type]


def test_the_tree_groups_sorts_and_totals() -> None:
    rows = [
        _row(b"t1", b"zeta", "b", 5),
        _row(b"t2", b"alpha", "Y", 1),
        _row(b"t3", b"zeta", "a", 7),
        _row(b"t4", b"alpha", "x", 2),
    ]
    tree = TopicTree.build(rows, {b"t1": 2.5, b"t3": 0.5})
    assert [p.name for p in tree.projects] == ["alpha", "zeta"]
    assert [n.topic.name for n in tree.projects[0].topics] == ["x", "Y"]
    zeta = tree.projects[1]
    assert zeta.totals() == (12, 120, 3.0, 2)
    assert tree.topic(b"t3") is not None and tree.topic(b"t3").rate == 0.5  # type: ignore[union-attr]
    assert tree.topic(b"nope") is None
    assert tree.with_rates({}).projects[1].rate == 0


def test_diff_reports_the_smallest_change() -> None:
    old = TopicTree.build(
        [_row(b"t1", b"p", "a", 1), _row(b"t2", b"p", "b"), _row(b"t3", b"q", "c")]
    )
    assert not diff(old, old)
    new = TopicTree.build(
        [_row(b"t1", b"p", "a", 2), _row(b"t4", b"p", "d"), _row(b"t5", b"r", "e")]
    )
    changes = diff(old, new)
    assert changes.removed_topics == [b"t2"]  # t3 goes with its project
    assert changes.removed_projects == [b"q"]
    assert [p.id for p in changes.added_projects] == [b"r"]
    assert [n.id for n in changes.added_topics] == [b"t4"]
    assert [p.id for p in changes.changed_projects] == [b"p"]
    assert [n.id for n in changes.changed_topics] == [b"t1"]

    rated = new.with_rates({b"t5": 3.0})
    changes = diff(new, rated)
    assert [n.id for n in changes.changed_topics] == [b"t5"]
    assert [p.id for p in changes.changed_projects] == [b"r"]
    assert not changes.added_topics and not changes.removed_topics


def test_number_formats() -> None:
    assert human_bytes(5 * 1024**3) == "5.0 GiB", "sizes in binary units, as the event table"
    assert format_rate(0) == "—"
    assert format_rate(0.4) == "0.4/s"
    assert format_rate(1234.4) == "1,234/s"


@pytest.mark.parametrize(
    "permissions", [("subscriber", "topics:read"), ("topics:read", "metrics:read")]
)
def test_a_key_without_broker_admin_connects_and_browses_its_own_project(
    qloop: QLoop, qtbot: QtBot, broker: Broker, permissions: tuple[str, ...]
) -> None:
    """The Subscriber and Read-only presets of the key manager, as a broker profile's key."""
    suffix = permissions[0].replace(":", "-")
    with connected_session(qloop, broker.analytics) as admin:
        _create(qloop, admin, f"analytics-only-{suffix}")
    with connected_session(qloop, broker.demo) as demo:
        _create(qloop, demo, f"demo-visible-{suffix}")
    key = create_key(broker.process.data_dir, "demo", *permissions)
    with connected_session(qloop, settings_for(broker.process, key)) as session:
        assert session.failure is None
        assert {t.project_name for t in session.topics} == {"demo"}
        assert f"demo-visible-{suffix}" in {t.name for t in session.topics}
        browser = QtTopicBrowser(session)
        qtbot.addWidget(browser)
        assert f"demo-visible-{suffix}" in _visible(browser)["demo"]
