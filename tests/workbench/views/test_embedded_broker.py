"""The embedded broker's lifecycle as the app drives it: start, ready, crash, restart, quit."""

from __future__ import annotations

import os
import signal
import socket
import stat
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.serve_process import process_alive, revoke_key
from tests.workbench.conftest import QLoop
from workbench.client.authentication import key_is_usable
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.broker_status import BrokerState, LogBuffer, restart_delay
from workbench.models.secret_store import FileSecretStore
from workbench.views import qt_embedded_broker
from workbench.views.qt_broker_panel import QtBrokerPanel
from workbench.views.qt_embedded_broker import STANDARD_PORTS, QtEmbeddedBroker, broker_arguments
from workbench.views.qt_session import QtSession


@pytest.mark.timeout(120)
def test_the_broker_starts_restarts_after_a_kill_and_leaves_nothing_behind(
    qloop: QLoop, tmp_path: Path, secrets: FileSecretStore
) -> None:
    broker = QtEmbeddedBroker(tmp_path / "data", secrets)
    states: list[BrokerState] = []
    broker.state_changed.connect(states.append)
    broker.start()
    qloop.until(lambda: broker.state is BrokerState.READY, what="the broker to be ready")
    assert states[:2] == [BrokerState.STARTING, BrokerState.READY]
    assert broker.settings is not None and broker.settings.grpc_address.startswith("127.0.0.1:")
    assert any(" ready: " in line for line in broker.log.lines())

    client = BrokerClient(broker.settings)
    qloop.run(client.login())
    topic = qloop.run(client.create_topic("first"))
    assert [t.name for t in qloop.run(client.topics())] == ["first"]
    qloop.run(client.close())
    saved = secrets.get(f"embedded-admin:{(tmp_path / 'data').resolve()}")
    assert saved and saved.startswith(broker.settings.client_id)
    assert stat.S_IMODE(secrets.path.stat().st_mode) == 0o600

    first_pid = broker.pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)
    qloop.until(lambda: broker.state is BrokerState.CRASHED, what="the crash to be noticed")
    assert "SIGKILL" in broker.problem
    qloop.until(lambda: broker.state is BrokerState.READY, what="the restart")
    assert broker.pid not in (None, first_pid)
    client = BrokerClient(broker.settings)  # same key, new ports
    assert [t.id for t in qloop.run(client.topics())] == [topic]
    qloop.run(client.close())

    second_pid = broker.pid
    assert second_pid is not None
    broker.stop_and_wait()
    assert broker.state is BrokerState.STOPPED
    assert not process_alive(second_pid)
    assert not (tmp_path / "data" / "serve.json").exists()


@pytest.mark.timeout(120)
def test_a_revoked_saved_key_is_replaced_by_a_new_key_that_works(
    qloop: QLoop, tmp_path: Path, secrets: FileSecretStore
) -> None:
    data_dir = tmp_path / "data"
    broker = QtEmbeddedBroker(data_dir, secrets)
    ready: list[ConnectionSettings] = []
    broker.ready.connect(ready.append)
    broker.start()
    qloop.until(lambda: len(ready) == 1, what="the broker to be ready")
    first = ready[0]
    assert key_is_usable(first)
    revoke_key(data_dir, first.client_id)  # by hand, or with another admin key
    assert not key_is_usable(first)

    broker.restart()
    qloop.until(lambda: len(ready) == 2, what="the broker to be ready again")
    assert broker.state is BrokerState.READY
    second = ready[1]
    assert second.client_id != first.client_id, "a new key"
    saved = secrets.get(f"embedded-admin:{data_dir.resolve()}")
    assert saved == f"{second.client_id}:{second.client_secret}"
    client = BrokerClient(second)
    qloop.run(client.login())
    qloop.run(client.create_topic("after-revocation"))
    assert [t.name for t in qloop.run(client.topics())] == ["after-revocation"]
    qloop.run(client.close())
    broker.stop_and_wait()


@pytest.mark.timeout(120)
def test_a_broker_that_cannot_start_is_reported_not_restarted_forever(
    qloop: QLoop, tmp_path: Path, secrets: FileSecretStore
) -> None:
    from embedded_broker.storage.dir_lock import DirectoryLock

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    lock = DirectoryLock(data_dir)  # another process owns the directory
    theirs = '{"pid": 1, "grpc_address": "127.0.0.1:5356"}'
    (data_dir / "serve.json").write_text(theirs)  # and says where it listens
    try:
        broker = QtEmbeddedBroker(data_dir, secrets, ports=(0, 0))
        broker._restart.setInterval(0)
        broker.start()
        qloop.until(lambda: broker.state is BrokerState.FAILED, timeout=90, what="failure")
        assert "exited with code 1" in broker.problem
        assert "lock" in broker.problem or "process" in broker.problem
        assert (data_dir / "serve.json").read_text() == theirs, "the owner's file is untouched"
    finally:
        lock.release()


def free_ports(count: int) -> list[int]:
    """Ports free right now (the sockets that found them are closed again)."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_the_broker_asks_for_ensigns_usual_ports() -> None:
    arguments = broker_arguments(Path("/data"))
    assert STANDARD_PORTS == (5356, 5357)
    assert arguments[arguments.index("--listen") + 1] == "127.0.0.1:5356"
    assert arguments[arguments.index("--auth-listen") + 1] == "127.0.0.1:5357"
    assert "--free-port-if-taken" in arguments


@pytest.mark.timeout(120)
def test_the_broker_takes_its_ports_when_free_and_moves_when_one_is_taken(
    qloop: QLoop, tmp_path: Path, secrets: FileSecretStore
) -> None:
    grpc_port, auth_port = free_ports(2)
    broker = QtEmbeddedBroker(tmp_path / "data", secrets, ports=(grpc_port, auth_port))
    panel = QtBrokerPanel(broker, QtSession())
    try:
        broker.start()
        qloop.until(lambda: broker.state is BrokerState.READY, what="the broker to be ready")
        assert broker.settings is not None
        assert broker.settings.grpc_address == f"127.0.0.1:{grpc_port}"
        assert broker.settings.auth_url == f"http://127.0.0.1:{auth_port}"
        assert broker.port_notice == "" and panel.port_notice.isHidden()

        broker.stop_and_wait()
        with socket.socket() as taken:  # another program takes the gRPC port meanwhile
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
            taken.bind(("127.0.0.1", grpc_port))
            taken.listen()
            broker.start()
            qloop.until(lambda: broker.state is BrokerState.READY, what="the broker to be ready")
            moved = broker.settings
            assert moved is not None and moved.grpc_address != f"127.0.0.1:{grpc_port}"
            assert moved.auth_url == f"http://127.0.0.1:{auth_port}", "the free one is kept"
            assert key_is_usable(moved)
            notice = broker.port_notice
            assert notice.startswith(
                f"Port {grpc_port} was taken, so gRPC listens on {moved.grpc_address}."
            )
            assert "Connect your code" in notice
            assert panel.port_notice.text() == notice and not panel.port_notice.isHidden()
    finally:
        broker.stop_and_wait()
        panel.deleteLater()


@pytest.mark.timeout(120)
def test_the_broker_is_on_5356_and_5357_when_they_are_free(
    qloop: QLoop, tmp_path: Path, secrets: FileSecretStore
) -> None:
    try:
        for port in STANDARD_PORTS:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the broker does
                probe.bind(("127.0.0.1", port))
    except OSError:
        pytest.skip("another program holds 5356 or 5357 on this machine")
    broker = QtEmbeddedBroker(tmp_path / "data", secrets)
    try:
        broker.start()
        qloop.until(lambda: broker.state is BrokerState.READY, what="the broker to be ready")
        assert broker.settings is not None
        assert broker.settings.grpc_address == "127.0.0.1:5356"
        assert broker.settings.auth_url == "http://127.0.0.1:5357"
    finally:
        broker.stop_and_wait()


def test_log_buffer_and_backoff() -> None:
    buffer = LogBuffer(limit=3)
    assert buffer.feed("a\nb") == ["a"]
    assert buffer.feed("c\nd\ne\n") == ["bc", "d", "e"]
    assert buffer.lines() == ["bc", "d", "e"]
    assert [restart_delay(n) for n in (1, 2, 3, 6, 10)] == [1, 2, 4, 30, 30]


def test_the_broker_log_shows_each_line_from_its_start(
    qtbot: QtBot, tmp_path: Path, secrets: FileSecretStore
) -> None:
    broker = QtEmbeddedBroker(tmp_path / "data", secrets)
    panel = QtBrokerPanel(broker, QtSession())
    qtbot.addWidget(panel)
    for n in range(3):  # lines that came before the tab was first shown
        broker.log_line.emit(f"early {n} " + "x" * 400 + " end")
    panel.resize(700, 400)
    panel.show()
    qtbot.waitExposed(panel)
    for n in range(5):
        broker.log_line.emit(f"line {n} " + "x" * 400 + " end")
    QApplication.processEvents()
    across = panel.log_view.horizontalScrollBar()
    assert across.maximum() > 0, "the lines are wider than the view"
    assert across.value() == 0, "the lines are shown from their start"
    across.setValue(across.maximum())  # scrolled sideways to read the ends: it stays there
    broker.log_line.emit("one more " + "y" * 400)
    assert across.value() == across.maximum()


@pytest.mark.timeout(120)
def test_restarts_back_off_while_the_broker_keeps_dying_and_start_over_after_a_steady_run(
    qloop: QLoop, tmp_path: Path, secrets: FileSecretStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = QtEmbeddedBroker(tmp_path / "data", secrets)

    def kill_and_restart() -> str:
        pid = broker.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        qloop.until(lambda: broker.state is BrokerState.READY and broker.pid != pid, 60, "back")
        return next(line for line in reversed(broker.log.lines()) if "restarting" in line)

    broker.start()
    qloop.until(lambda: broker.state is BrokerState.READY, 60, "the broker to be ready")
    assert kill_and_restart() == "restarting the broker in 1 s"
    assert kill_and_restart() == "restarting the broker in 2 s"
    monkeypatch.setattr(qt_embedded_broker, "STEADY_S", 0.0)  # the last run counts as steady
    assert kill_and_restart() == "restarting the broker in 1 s"
    assert broker.crashes == 3
    broker.stop_and_wait()
