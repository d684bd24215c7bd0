"""Connection profiles: a remote broker added, refused with a wrong secret; secrets kept safe."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.serve_process import BrokerProcess, create_key, start_broker
from tests.workbench.conftest import QLoop
from workbench.app.qt_libraries import missing_libraries_message, missing_xcb_libraries
from workbench.models.profiles import EMBEDDED, Profile, ProfileStore
from workbench.models.secret_store import FileSecretStore, open_secret_store
from workbench.views.qt_profile_dialog import QtProfileDialog


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    process = start_broker(tmp_path_factory.mktemp("remote") / "broker")
    yield process
    process.stop()


def test_profiles_keep_secrets_out_of_their_file(tmp_path: Path) -> None:
    secrets = FileSecretStore(tmp_path / "secrets.json")
    store = ProfileStore.open(tmp_path, secrets)
    assert [p.name for p in store.all()] == [EMBEDDED]
    profile = Profile("staging", "broker:5356", "https://broker:5357", "ABC", tls=True)
    store.save(profile, "s3cret-value")
    reopened = ProfileStore.open(tmp_path, FileSecretStore(tmp_path / "secrets.json"))
    assert reopened.get("staging") == profile
    assert reopened.secret(profile) == "s3cret-value"
    assert "s3cret-value" not in (tmp_path / "profiles.json").read_text()
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="built-in"):
        store.save(Profile(EMBEDDED), "x")
    store.remove("staging")
    assert FileSecretStore(tmp_path / "secrets.json").get(profile.secret_name) is None


def test_without_an_os_keyring_secrets_go_to_a_private_file(tmp_path: Path) -> None:
    store = open_secret_store(tmp_path / "secrets.json")
    assert store.kind in ("file", "keyring")
    forced = open_secret_store(tmp_path / "secrets.json", use_keyring=False)
    assert isinstance(forced, FileSecretStore)


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


def test_missing_xcb_libraries_are_named_with_their_packages() -> None:
    def only_some(name: str) -> bool:
        return name not in ("libxcb-cursor.so.0", "libEGL.so.1")

    env = {"DISPLAY": ":0"}
    assert missing_xcb_libraries(env, "linux", only_some) == ["libegl1", "libxcb-cursor0"]
    assert missing_xcb_libraries({"QT_QPA_PLATFORM": "offscreen"}, "linux", only_some) == []
    assert missing_xcb_libraries(env, "darwin", only_some) == []
    message = missing_libraries_message(["libegl1", "libxcb-cursor0"])
    assert "sudo apt install libegl1 libxcb-cursor0" in message
    assert "\n" not in message
    assert json.dumps(message)
