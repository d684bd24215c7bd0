"""The profile dialog: what is missing, and a test connection that says why a key is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key, start_broker
from tests.workbench.conftest import QLoop
from workbench.views.qt_profile_dialog import QtProfileDialog


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path_factory.mktemp("remote") / "broker")
    yield process
    process.stop()


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
