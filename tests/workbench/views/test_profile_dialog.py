"""The profile dialog: what is missing, and a test connection that says why a key is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key, start_broker
from tests.workbench.conftest import QLoop
from workbench.views.qt_profile_dialog import QtProfileDialog


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path_factory.mktemp("remote") / "broker")
    yield process
    process.stop()


OK = QDialogButtonBox.StandardButton.Ok


def _fill(
    dialog: QtProfileDialog, qtbot: QtBot, broker: BrokerProcess, key: dict[str, str], secret: str
) -> None:
    qtbot.keyClicks(dialog.name, "remote")
    qtbot.keyClicks(dialog.address, broker.grpc_address)
    qtbot.keyClicks(dialog.auth_url, broker.auth_url)
    qtbot.keyClicks(dialog.client_id, key["client_id"])
    qtbot.keyClicks(dialog.client_secret, secret)
    dialog.tls.setChecked(False)


def test_a_remote_profile_with_a_wrong_secret_is_refused_clearly(
    qtbot: QtBot, qloop: QLoop, remote: BrokerProcess
) -> None:
    key = create_key(remote.data_dir, "demo", "all")
    dialog = QtProfileDialog()
    qtbot.addWidget(dialog)
    _fill(dialog, qtbot, remote, key, "definitely-not-the-secret")
    assert dialog.problem() == ""
    assert not qloop.run(dialog.test_connection())
    assert dialog.status.text() == (
        "Refused: the broker refused the key: invalid client_id or client_secret"
    )
    dialog.client_secret.setText(key["client_secret"])
    assert qloop.run(dialog.test_connection())
    assert dialog.status.text().startswith("Connected:")
    assert dialog.result_profile().grpc_address == remote.grpc_address


def test_the_profile_dialog_says_what_is_missing(qtbot: QtBot) -> None:
    dialog = QtProfileDialog()
    qtbot.addWidget(dialog)
    assert dialog.problem() == "Give the profile a name."
    qtbot.keyClicks(dialog.name, "x")
    qtbot.keyClicks(dialog.address, "no-port")
    assert "host:port" in dialog.problem()
    assert not dialog.test_button.isEnabled()


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    """A window for dialogs (closing the last window would quit the test's event loop)."""
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _shown_dialog(window: QWidget) -> QtProfileDialog:
    dialog = QtProfileDialog(parent=window)
    dialog.show()
    return dialog


def test_ok_saves_only_a_profile_whose_test_passed_unless_the_user_saves_anyway(
    qtbot: QtBot, qloop: QLoop, remote: BrokerProcess, window: QWidget
) -> None:
    key = create_key(remote.data_dir, "demo", "all")
    dialog = _shown_dialog(window)
    _fill(dialog, qtbot, remote, key, "definitely-not-the-secret")
    accepted: list[bool] = []
    dialog.accepted.connect(lambda: accepted.append(True))

    qtbot.mouseClick(dialog.buttons.button(OK), Qt.MouseButton.LeftButton)
    qloop.until(lambda: dialog.status.text().startswith("Refused"), what="the test to fail")
    assert accepted == [] and dialog.isVisible()
    assert dialog.save_anyway_button.isVisible()

    dialog.client_secret.setText(key["client_secret"])  # a change hides "Save anyway" again
    assert not dialog.save_anyway_button.isVisible()
    qtbot.mouseClick(dialog.buttons.button(OK), Qt.MouseButton.LeftButton)
    qloop.until(lambda: accepted == [True], what="OK once the test passed")
    assert dialog.status.text().startswith("Connected:")


def test_save_anyway_keeps_a_profile_whose_broker_cannot_be_reached(
    qtbot: QtBot, qloop: QLoop, window: QWidget
) -> None:
    dialog = _shown_dialog(window)
    qtbot.keyClicks(dialog.name, "offline")
    qtbot.keyClicks(dialog.address, "127.0.0.1:1")
    qtbot.keyClicks(dialog.auth_url, "http://127.0.0.1:1")
    qtbot.keyClicks(dialog.client_id, "someone")
    qtbot.keyClicks(dialog.client_secret, "s3cret")
    qtbot.mouseClick(dialog.buttons.button(OK), Qt.MouseButton.LeftButton)
    qloop.until(lambda: dialog.status.text() != "Connecting…", what="the test to end")
    assert dialog.result() != QtProfileDialog.DialogCode.Accepted and dialog.isVisible()
    assert dialog.save_anyway_button.isVisible()
    qtbot.mouseClick(dialog.save_anyway_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QtProfileDialog.DialogCode.Accepted
    assert dialog.result_profile().name == "offline" and dialog.secret() == "s3cret"
