"""The embedded broker's lifecycle as the app drives it: start, ready, crash, restart, quit."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pytest

from tests.serve_process import process_alive, revoke_key
from tests.workbench.conftest import QLoop
from workbench.client.authentication import key_is_usable
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.broker_status import BrokerState, LogBuffer, restart_delay
from workbench.models.secret_store import FileSecretStore
from workbench.views.qt_embedded_broker import QtEmbeddedBroker


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
    try:
        broker = QtEmbeddedBroker(data_dir, secrets)
        broker._restart.setInterval(0)
        broker.start()
        qloop.until(lambda: broker.state is BrokerState.FAILED, timeout=90, what="failure")
        assert "exited with code 1" in broker.problem
        assert "lock" in broker.problem or "process" in broker.problem
    finally:
        lock.release()


def test_log_buffer_and_backoff() -> None:
    buffer = LogBuffer(limit=3)
    assert buffer.feed("a\nb") == ["a"]
    assert buffer.feed("c\nd\ne\n") == ["bc", "d", "e"]
    assert buffer.lines() == ["bc", "d", "e"]
    assert [restart_delay(n) for n in (1, 2, 3, 6, 10)] == [1, 2, 4, 30, 30]
