"""Connections that fail or are lost: no view keeps another broker's data; profiles are managed
from the menu."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.app.conftest import App
from tests.workbench.conftest import QLoop, running_broker
from workbench.client.records import MetricsSample, TopicRate
from workbench.models.profiles import EMBEDDED, Profile
from workbench.views.qt_profile_dialog import QtProfileDialog

UNREACHABLE = Profile("nowhere", "127.0.0.1:1", "http://127.0.0.1:1", "someone", tls=False)


OK = QDialogButtonBox.StandardButton.Ok


def _with_a_topic(app: App, qloop: QLoop, name: str) -> None:
    client = app.session.client
    assert client is not None
    qloop.run(client.create_topic(name))
    app.session.refresh_topics()
    qloop.until(lambda: any(t.name == name for t in app.session.topics), 10, f"topic {name}")
    topic = next(t for t in app.session.topics if t.name == name)
    app.window.topics.select_topic(topic.id)
    qloop.until(lambda: app.window.events.topic is not None, 10, "the topic's events")


def _assert_every_view_is_empty(app: App) -> None:
    window = app.window
    assert app.session.client is None
    assert app.session.topics == []
    assert window.topics.model.rowCount() == 0
    assert window.events.topic is None and window.events.model.rowCount() == 0
    assert window.detail.current_event is None
    assert window.query.model.rowCount() == 0
    assert len(window.charts.series) == 0
    assert window.producer.target() is None
    assert window.keys_view.listed_keys() == []


def _dialog(qtbot: QtBot, app: App) -> QtProfileDialog:
    qtbot.waitUntil(lambda: app.window.findChild(QtProfileDialog) is not None)
    dialog = app.window.findChild(QtProfileDialog)
    assert dialog is not None
    return dialog


@pytest.mark.timeout(120)
def test_a_remote_broker_with_a_wrong_secret_shows_no_other_brokers_data(
    qtbot: QtBot, app: App, qloop: QLoop
) -> None:
    app.start(qloop)
    _with_a_topic(app, qloop, "embedded-only")
    window = app.window
    app.session.metrics_sample.emit(  # the embedded broker's charts have data
        MetricsSample(
            1_700_000_000_000,
            [TopicRate(b"t", "embedded-only", 1, 1, 1.0, 1.0, 0.0, 0.0, 0, {})],
            False,
        )
    )
    settings = app.session.client.settings  # type: ignore[union-attr]
    wrong = Profile("staging", settings.grpc_address, settings.auth_url, settings.client_id)
    window.save_profile(wrong, "not-the-secret")  # as "Save anyway" in the profile dialog does
    qloop.until(
        lambda: window.connection_state.text() == "Not connected to staging", 30, "the failure"
    )

    assert window.current_profile_name() == "staging"
    _assert_every_view_is_empty(app)
    banner = window.connection_banner
    assert "staging" in banner.message.text() and "refused" in banner.message.text()
    assert banner.retry_button.isVisible() and banner.edit_button.isVisible()

    qtbot.mouseClick(banner.retry_button, Qt.MouseButton.LeftButton)  # still wrong
    qloop.until(lambda: banner.isVisible() and "refused" in banner.message.text(), 30)
    assert app.session.client is None

    window.switch_to(EMBEDDED)  # e.g. from the palette: the toolbar names it too
    assert window.profile_box.currentText() == EMBEDDED
    window.switch_to("staging")  # before the embedded broker answered: the last choice wins
    qloop.until(lambda: banner.isVisible(), 30, "the failure again")
    assert window.profile_box.currentText() == "staging"

    qtbot.mouseClick(banner.edit_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, app)
    assert dialog.name.text() == "staging"
    dialog.client_secret.setText(settings.client_secret)
    qtbot.mouseClick(dialog.buttons.button(OK), Qt.MouseButton.LeftButton)  # tested, then saved
    qloop.until(lambda: app.session.client is not None, 30, "the fixed profile to connect")
    assert app.session.profile_name == "staging"
    assert not banner.isVisible()


@pytest.fixture
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "remote") as process:
        yield process


@pytest.mark.timeout(120)
def test_a_lost_connection_clears_every_view(
    qtbot: QtBot, app: App, qloop: QLoop, remote: BrokerProcess
) -> None:
    app.start(qloop)
    key = create_key(remote.data_dir, "demo", "all")
    profile = Profile("remote", remote.grpc_address, remote.auth_url, key["client_id"])
    app.window.save_profile(profile, key["client_secret"])
    qloop.until(lambda: app.session.profile_name == "remote", 30, "the remote broker")
    _with_a_topic(app, qloop, "remote-topic")

    remote.stop()
    qloop.until(lambda: app.session.client is None, 30, "the lost connection")
    _assert_every_view_is_empty(app)
    banner = app.window.connection_banner
    assert "remote" in banner.message.text() and "lost" in banner.message.text()
    assert banner.retry_button.isVisible() and banner.edit_button.isVisible()


def _profile_menu(app: App, name: str) -> QMenu:
    menu = app.window.profiles_menu
    menu.aboutToShow.emit()
    for action in menu.actions():
        if action.text() == name and action.menu() is not None:
            sub = action.menu()
            assert isinstance(sub, QMenu)
            return sub
    raise AssertionError(f"no {name} in {[a.text() for a in menu.actions()]}")


def _trigger(menu: QMenu, text: str) -> None:
    action = next((a for a in menu.actions() if a.text() == text), None)
    assert action is not None, f"{text} in {[a.text() for a in menu.actions()]}"
    action.trigger()


def _save_anyway(qtbot: QtBot, qloop: QLoop, dialog: QtProfileDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(OK), Qt.MouseButton.LeftButton)
    qloop.until(lambda: dialog.save_anyway_button.isVisible(), 30, "the failed test")
    assert dialog.isVisible(), "OK saves only a profile whose test passed"
    qtbot.mouseClick(dialog.save_anyway_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


@pytest.mark.timeout(120)
def test_profiles_are_edited_duplicated_and_deleted_from_the_menu(
    qtbot: QtBot, app: App, qloop: QLoop
) -> None:
    window, profiles = app.window, app.window.profiles
    window.show()
    profiles.save(UNREACHABLE, "s3cret")

    _trigger(_profile_menu(app, "nowhere"), "Duplicate…")
    dialog = _dialog(qtbot, app)
    assert dialog.name.text() == "nowhere (copy)"
    assert dialog.address.text() == UNREACHABLE.grpc_address
    _save_anyway(qtbot, qloop, dialog)
    copy = profiles.get("nowhere (copy)")
    assert copy is not None and profiles.secret(copy) == "s3cret"
    qtbot.waitUntil(lambda: window.findChild(QtProfileDialog) is None)

    _trigger(_profile_menu(app, "nowhere (copy)"), "Edit…")
    dialog = _dialog(qtbot, app)
    dialog.name.setText("elsewhere")
    dialog.address.setText("127.0.0.1:2")
    _save_anyway(qtbot, qloop, dialog)
    assert profiles.get("nowhere (copy)") is None
    renamed = profiles.get("elsewhere")
    assert renamed is not None and renamed.grpc_address == "127.0.0.1:2"
    assert profiles.secret(renamed) == "s3cret", "the secret moves with a renamed profile"
    qtbot.waitUntil(lambda: window.findChild(QtProfileDialog) is None)

    _trigger(_profile_menu(app, "elsewhere"), "Delete…")
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "elsewhere" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert profiles.get("elsewhere") is None
    names = [window.profile_box.itemText(i) for i in range(window.profile_box.count())]
    assert "elsewhere" not in names and "nowhere" in names
