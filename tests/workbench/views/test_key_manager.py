"""The key manager against a real broker, and keys made in it used by pyensign in a separate
process: create (secret shown once), save as .env or credentials JSON, revoke (open streams
included), test a key, projects."""

from __future__ import annotations

import asyncio
import json
import queue
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QMessageBox, QPlainTextEdit
from pytestqt.qtbot import QtBot

from tests.interop.pyensign_env import pyensign_python
from tests.serve_process import BrokerProcess, broker_command, create_key
from tests.workbench.conftest import QLoop, connected_session, running_broker, settings_for
from workbench.client.authentication import key_is_usable
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import ClientError
from workbench.client.records import NewEvent, TopicRow
from workbench.models.key_check import expected_results
from workbench.models.key_listing import CLIENT_ID, CREATED, LAST_USED, NAME, PERMISSIONS, STATUS
from workbench.models.key_presets import preset
from workbench.views.qt_key_check_dialog import FAILED, NOT_TRIED, PASSED
from workbench.views.qt_key_manager import QtKeyManager
from workbench.views.qt_secret_dialog import QtSecretDialog
from workbench.views.qt_session import QtSession

pytestmark = pytest.mark.timeout(180)

KEYS_SCRIPT = Path(__file__).parents[2] / "interop" / "pyensign_keys.py"
OK = QDialogButtonBox.StandardButton.Ok


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "key-manager") as process:
        yield process


@pytest.fixture(scope="module")
def admin(broker: BrokerProcess) -> ConnectionSettings:
    return settings_for(broker, create_key(broker.data_dir, "local", "all"))


@pytest.fixture
def session(qloop: QLoop, admin: ConnectionSettings) -> Iterator[QtSession]:
    with connected_session(qloop, admin) as connected:
        client = connected.client
        assert client is not None
        if not any(t.name == "orders" for t in connected.topics):
            qloop.run(client.create_topic("orders"))
            connected.refresh_topics()
            qloop.until(lambda: any(t.name == "orders" for t in connected.topics), 10, "orders")
        yield connected


@pytest.fixture
def manager(qtbot: QtBot, qloop: QLoop, session: QtSession) -> QtKeyManager:
    view = QtKeyManager(session)
    qtbot.addWidget(view)
    view.show()
    qloop.until(lambda: view.selected_project() is not None, 10, "the projects")
    return view


def new_key_in_gui(
    qtbot: QtBot, qloop: QLoop, manager: QtKeyManager, name: str, kind: str
) -> QtSecretDialog:
    """Create a key through the New key dialog; return the dialog showing its secret."""
    shown: list[QtSecretDialog] = []
    manager.secret_shown.connect(shown.append)
    dialog = manager.ask_new_key()
    assert dialog is not None
    assert not dialog.button(OK).isEnabled(), "a key needs a name"
    qtbot.keyClicks(dialog.name_edit, name)
    dialog.preset_box.setCurrentText(kind)
    assert dialog.permissions() == list(preset(kind).permissions)
    qtbot.mouseClick(dialog.button(OK), Qt.MouseButton.LeftButton)
    qloop.until(lambda: bool(shown), 20, "the secret dialog")
    manager.secret_shown.disconnect(shown.append)
    qloop.until(
        lambda: shown[0].key.client_id in [k.client_id for k in manager.listed_keys()], 10, "row"
    )
    return shown[0]


def close_kept(qloop: QLoop, manager: QtKeyManager, dialog: QtSecretDialog) -> None:
    dialog.client_secret.copy()
    dialog.reject()
    qloop.until(lambda: manager.secret_dialog is None, 10, "the secret dialog to go")


def orders(session: QtSession) -> TopicRow:
    return next(t for t in session.topics if t.name == "orders")


def pyensign_cfg(broker: BrokerProcess, **more: Any) -> str:
    return json.dumps(
        {"endpoint": broker.grpc_address, "auth_url": broker.auth_url, "topic": "orders", **more}
    )


def run_pyensign(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(pyensign_python()), *args], capture_output=True, text=True, timeout=timeout
    )


def secret_is_nowhere(secret: str) -> list[str]:
    """Widgets of the application that show ``secret``."""
    found = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLineEdit) and secret in widget.text():
            found.append(repr(widget))
        if isinstance(widget, QPlainTextEdit) and secret in widget.toPlainText():
            found.append(repr(widget))
    return found


def test_a_key_made_in_the_gui_works_from_pyensign_and_its_secret_is_never_shown_again(
    qtbot: QtBot,
    qloop: QLoop,
    broker: BrokerProcess,
    session: QtSession,
    manager: QtKeyManager,
    tmp_path: Path,
) -> None:
    dialog = new_key_in_gui(qtbot, qloop, manager, "ci publisher", "Publisher")
    client_id, secret = dialog.client_id.text(), dialog.client_secret.text()
    assert len(client_id) == 32 and len(secret) == 64
    assert "shown only now" in dialog.windowTitle()

    snippet = tmp_path / "snippet.py"
    snippet.write_text(dialog.snippet.code())  # as shown, ready to run
    ran = run_pyensign(str(snippet))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "connected; topics: orders\n"
    used = run_pyensign(
        str(KEYS_SCRIPT), "use", pyensign_cfg(broker, client_id=client_id, client_secret=secret)
    )
    assert used.returncode == 0, used.stderr
    assert json.loads(used.stdout) == {"topics": {"ok": ["orders"]}, "published": {"ok": True}}

    close_kept(qloop, manager, dialog)
    assert secret_is_nowhere(secret) == []
    manager.refresh_keys()
    qloop.until(lambda: manager.cell(client_id, LAST_USED)[0] != "never", 10, "the last use")
    for column in range(STATUS + 1):
        assert secret not in "".join(manager.cell(client_id, column))
    client = session.client
    assert client is not None
    assert secret not in repr(qloop.run(client.keys()))
    listing = subprocess.run(
        broker_command("keys", "list", "--json", "--data-dir", str(broker.data_dir)),
        capture_output=True,
        text=True,
        check=True,
    )
    assert client_id in listing.stdout and secret not in listing.stdout
    assert secret.encode() not in (broker.data_dir / "auth.db").read_bytes()


def test_the_saved_env_and_credentials_json_work_with_pyensign_as_they_are(
    qtbot: QtBot, qloop: QLoop, broker: BrokerProcess, manager: QtKeyManager, tmp_path: Path
) -> None:
    dialog = new_key_in_gui(qtbot, qloop, manager, "files", "Full access")
    env_path, json_path = tmp_path / "app.env", tmp_path / "files-credentials.json"
    assert dialog.save_env(env_path) and dialog.save_credentials(json_path)
    assert dialog.kept and str(json_path) in dialog.saved_label.text()
    for path in (env_path, json_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    client_id = dialog.client_id.text()
    dialog.reject()
    qloop.until(lambda: manager.secret_dialog is None, 10, "the secret dialog to go")

    # The .env file sourced by a shell (set -a exports each line), as it is.
    sourced = subprocess.run(
        ["bash", "-c", 'set -a && . "$1" && set +a && exec "$2" "$3" use "$4"', "_",
         str(env_path), str(pyensign_python()), str(KEYS_SCRIPT),
         pyensign_cfg(broker, credentials="environment", text="from .env")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert sourced.returncode == 0, sourced.stderr
    assert json.loads(sourced.stdout)["published"] == {"ok": True}
    with_file = run_pyensign(
        str(KEYS_SCRIPT), "use",
        pyensign_cfg(broker, credentials="cred_path", cred_path=str(json_path), text="from json"),
    )  # fmt: skip
    assert with_file.returncode == 0, with_file.stderr
    assert json.loads(with_file.stdout) == {"topics": {"ok": ["orders"]}, "published": {"ok": True}}
    assert client_id in env_path.read_text() and client_id in json_path.read_text()


def test_closing_the_secret_dialog_without_keeping_the_secret_asks_first(
    qtbot: QtBot, qloop: QLoop, manager: QtKeyManager
) -> None:
    dialog = new_key_in_gui(qtbot, qloop, manager, "forgotten", "Read-only")
    dialog.reject()
    box = dialog.confirmation
    assert box is not None and box.isVisible() and dialog.isVisible()
    assert "cannot be shown again" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()  # Keep it open
    assert dialog.isVisible()
    dialog.close()  # the window's own close button asks too
    box = dialog.confirmation
    assert box is not None and box.isVisible() and dialog.isVisible()
    close_anyway = next(b for b in box.buttons() if b.text() == "Close anyway")
    close_anyway.click()
    qloop.until(lambda: manager.secret_dialog is None, 10, "the secret dialog to go")


def test_revoking_asks_then_stops_the_key_at_once_open_streams_included(
    qtbot: QtBot,
    qloop: QLoop,
    broker: BrokerProcess,
    session: QtSession,
    manager: QtKeyManager,
    admin: ConnectionSettings,
) -> None:
    dialog = new_key_in_gui(qtbot, qloop, manager, "to revoke", "Full access")
    key = ConnectionSettings(
        admin.grpc_address, admin.auth_url, dialog.client_id.text(), dialog.client_secret.text()
    )
    close_kept(qloop, manager, dialog)

    ours: list[object] = []
    failure: list[BaseException] = []

    async def tail() -> None:
        client = BrokerClient(key)
        try:
            async for event in client.tail("orders"):
                ours.append(event)
        except ClientError as exc:
            failure.append(exc)
        finally:
            await client.close()

    stream = asyncio.ensure_future(tail())
    theirs = subprocess.Popen(
        [str(pyensign_python()), str(KEYS_SCRIPT), "hold",
         pyensign_cfg(broker, client_id=key.client_id, client_secret=key.client_secret)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in theirs.stdout], daemon=True
    ).start()  # type: ignore[union-attr]
    admin_client = session.client
    assert admin_client is not None
    topic_id = orders(session).id
    try:
        for attempt in range(200):  # until both streams are live
            qloop.run(admin_client.publish(topic_id, [NewEvent(f"before {attempt}".encode())]))
            qloop.run(asyncio.sleep(0.1))
            if ours and not lines.empty():
                break
        assert lines.get(timeout=5) == "live\n" and ours

        manager.refresh_keys()
        qloop.until(
            lambda: key.client_id in [k.client_id for k in manager.listed_keys()], 10, "row"
        )
        manager.select_key(key.client_id)
        box = manager.ask_revoke()
        assert box is not None and "open streams included" in box.text()
        revoke = next(b for b in box.buttons() if b.text() == "Revoke")
        revoke.click()
        qloop.until(lambda: manager.cell(key.client_id, STATUS)[0] == "revoked", 10, "revoked")
        qloop.until(stream.done, 10, "our open stream to be ended by the broker")
        assert failure and "revoked" in str(failure[0]), failure
        assert not key_is_usable(key)

        theirs.stdin.write("revoked\n")  # type: ignore[union-attr]
        theirs.stdin.flush()  # type: ignore[union-attr]
        for n in range(3):
            qloop.run(admin_client.publish(topic_id, [NewEvent(f"after {n}".encode())]))
        found = json.loads(lines.get(timeout=60))
        assert found["before"] >= 1 and found["after"] == 0, found
        for refused in (found["topics_after"], found["publish_after"]):
            assert "error" in refused and "revoked" in refused["error"]["message"].lower(), found
    finally:
        stream.cancel()
        theirs.kill()
        theirs.wait(10)


def test_keys_read_as_ages_with_exact_tooltips_in_projects_made_in_the_gui(
    qtbot: QtBot, qloop: QLoop, session: QtSession, manager: QtKeyManager, admin: ConnectionSettings
) -> None:
    own = manager.cell(admin.client_id, STATUS)
    assert own[0] == "active (this workbench)"
    manager.select_key(admin.client_id)
    assert not manager.revoke_button.isEnabled(), "the workbench's own key stays"

    ask = manager.ask_new_project()
    assert ask is not None
    qtbot.keyClicks(ask.name_edit, "billing")
    qtbot.mouseClick(ask.button(OK), Qt.MouseButton.LeftButton)
    qloop.until(
        lambda: (p := manager.selected_project()) is not None and p.name == "billing", 10, "billing"
    )
    qloop.until(lambda: manager.listed_keys() == [], 10, "an empty key list")
    names = [manager.project_list.item(i).text() for i in range(manager.project_list.count())]
    assert "billing" in names and "local" in names

    dialog = new_key_in_gui(qtbot, qloop, manager, "dashboard", "Read-only")
    client_id, secret = dialog.client_id.text(), dialog.client_secret.text()
    assert dialog.key.project_id == manager.selected_project().id  # type: ignore[union-attr]
    close_kept(qloop, manager, dialog)
    assert manager.cell(client_id, NAME)[0] == "dashboard"
    assert manager.cell(client_id, CLIENT_ID)[0] == client_id
    assert manager.cell(client_id, PERMISSIONS) == ("Read-only", "topics:read\nmetrics:read")
    created, created_tip = manager.cell(client_id, CREATED)
    assert created == "just now" and created_tip[:2] == "20" and created_tip.endswith(" local")
    assert manager.cell(client_id, LAST_USED) == ("never", "never used")
    assert manager.cell(client_id, STATUS)[0] == "active"

    assert key_is_usable(ConnectionSettings(admin.grpc_address, admin.auth_url, client_id, secret))
    manager.refresh_keys()
    qloop.until(lambda: manager.cell(client_id, LAST_USED)[0] != "never", 10, "the last use")
    used, used_tip = manager.cell(client_id, LAST_USED)
    assert used == "just now" or used.endswith(" s ago")
    assert used_tip[:2] == "20"


def test_testing_a_key_shows_its_matrix_and_changes_nothing(
    qtbot: QtBot, qloop: QLoop, session: QtSession, manager: QtKeyManager
) -> None:
    made = new_key_in_gui(qtbot, qloop, manager, "reader", "Subscriber")
    client_id, secret = made.client_id.text(), made.client_secret.text()
    close_kept(qloop, manager, made)
    client = session.client
    assert client is not None

    def snapshot() -> list[tuple[object, ...]]:
        return sorted((t.id, t.events) for t in qloop.run(client.topics(all_projects=True)))

    before = snapshot()
    manager.select_key(client_id)
    dialog = manager.ask_test_key()
    assert dialog is not None
    assert dialog.client_id_box.currentText() == client_id, "the selected key"
    assert dialog.topic_box.currentText() == "local / orders"
    dialog.secret_edit.setText(secret)
    task = dialog.run_check()
    assert task is not None
    qloop.until(task.done, 30, "the check")
    shown = dialog.results()
    wanted = expected_results(preset("Subscriber").permissions)
    assert {op: result == PASSED for op, (result, _) in shown.items()} == wanted
    assert shown["publish"] == (FAILED, "this API key lacks the 'publisher' permission")
    assert shown["subscribe"][1] == "allowed: the broker opened a subscription to orders"
    assert snapshot() == before

    dialog.secret_edit.setText("x" * 64)  # a wrong secret: nothing past authenticate is tried
    task = dialog.run_check()
    assert task is not None
    qloop.until(task.done, 30, "the check")
    shown = dialog.results()
    assert shown["authenticate"][0] == FAILED
    assert all(shown[op][0] == NOT_TRIED for op in shown if op != "authenticate")
    dialog.close()


def test_without_a_broker_admin_key_the_manager_says_what_is_needed(
    qtbot: QtBot, qloop: QLoop, broker: BrokerProcess
) -> None:
    session = QtSession()  # as if connected with a remote profile's ordinary key
    session.client = BrokerClient(
        settings_for(broker, create_key(broker.data_dir, "local", "topics:read"))
    )
    session.profile_name = "reader"
    qloop.run(session.client.login())
    try:
        view = QtKeyManager(session)
        qtbot.addWidget(view)
        assert "needs a broker:admin key; the key of reader has topics:read" in view.hint.text()
        assert not view.new_key_button.isEnabled() and not view.new_project_button.isEnabled()
        assert view.ask_new_key() is None
    finally:
        qloop.run(session.client.close())
