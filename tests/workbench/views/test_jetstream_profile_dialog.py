"""The profile dialog's NATS JetStream kind: its fields, and a connection test on real servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from tests.jetstream.test_headless import AUTH_CONFIG
from tests.nats_cluster import NatsCluster, running_nats
from tests.workbench.conftest import QLoop
from workbench.models.profiles import NATS_AUTH, NATS_JETSTREAM
from workbench.views.qt_profile_dialog import QtProfileDialog


@pytest.fixture(scope="module")
def auth_server() -> Iterator[NatsCluster]:
    with running_nats(1, AUTH_CONFIG) as server:
        yield server


def test_a_nats_profile_tests_its_user_and_password_and_keeps_the_password_secret(
    qtbot: QtBot, qloop: QLoop, auth_server: NatsCluster
) -> None:
    dialog = QtProfileDialog()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name, "team cluster")
    dialog.kind.setCurrentText(NATS_JETSTREAM)
    assert not dialog.address.isVisibleTo(dialog) and dialog.nats_servers.isVisibleTo(dialog)
    assert dialog.problem().startswith("Servers:")
    qtbot.keyClicks(dialog.nats_servers, auth_server.urls[0])
    dialog.nats_auth.setCurrentIndex(NATS_AUTH.index("user"))
    assert dialog.problem() == "Enter the NATS user."
    qtbot.keyClicks(dialog.nats_user, "alice")
    assert dialog.problem() == "Enter the password."
    qtbot.keyClicks(dialog.nats_secret, "wrong")
    assert dialog.problem() == ""
    assert not qloop.run(dialog.test_connection())
    assert "refused the credentials" in dialog.status.text()
    assert "wrong" not in dialog.status.text()
    dialog.nats_secret.setText("wonderland-7")
    assert qloop.run(dialog.test_connection())
    assert dialog.status.text() == "Connected: 0 stream(s) in the account with this key."
    profile = dialog.result_profile()
    assert (profile.kind, profile.nats_servers, profile.nats_auth, profile.nats_user) == (
        NATS_JETSTREAM,
        auth_server.urls[0],
        "user",
        "alice",
    )
    assert dialog.secret() == "wonderland-7"
    assert "wonderland" not in repr(profile)
