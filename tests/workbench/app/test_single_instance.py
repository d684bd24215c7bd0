"""One workbench at a time: a second start brings the first forward and leaves it alone; --help
and --version never start a GUI or touch the data directory."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.serve_process import process_alive
from tests.workbench.conftest import QLoop
from workbench.app.qt_single_instance import QtSingleInstance, instance_name
from workbench.client.authentication import key_is_usable
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings

WORKBENCH = [sys.executable, "-m", "workbench"]


def workbench_env(home: Path) -> dict[str, str]:
    """ensign-workbench's environment with its config and data in ``home``."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "ENSIGN_WORKBENCH_CONFIG_DIR": str(home / "config"),
        "ENSIGN_BROKER_DATA_DIR": str(home / "data"),
        "ENSIGN_WORKBENCH_NO_KEYRING": "1",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_start_no_gui_and_touch_no_data_directory(
    tmp_path: Path, flag: str
) -> None:
    probe = (
        "import sys\n"
        "from workbench.app import main\n"
        "try:\n"
        f"    main([{flag!r}])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('exit', code, 'qt', any(m.startswith('PySide6') for m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=workbench_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "exit 0 qt False"
    assert ("ensign-workbench 0." in done.stdout) == (flag == "--version")
    assert list(tmp_path.iterdir()) == [], "no config or data directory was made"


@pytest.mark.timeout(60)
def test_a_second_start_brings_the_first_forward_and_exits_without_touching_anything(
    qloop: QLoop, tmp_path: Path
) -> None:
    first = QtSingleInstance(instance_name(tmp_path / "data"))
    asked: list[bool] = []
    first.activate_requested.connect(lambda: asked.append(True))
    assert first.claim() is None
    try:
        second = qloop.run(
            asyncio.to_thread(
                subprocess.run,
                WORKBENCH,
                env=workbench_env(tmp_path),
                capture_output=True,
                text=True,
                timeout=45,
            ),
            timeout=50,
        )
        assert second.returncode == 0, second.stderr
        assert second.stdout == (
            f"ensign-workbench is already running (process {os.getpid()}): "
            "its window is brought to the front\n"
        )
        qloop.until(lambda: asked == [True], 5, "the first to be asked to come forward")
        assert list(tmp_path.iterdir()) == [], "the second made no config or data directory"
        assert QtSingleInstance(instance_name(tmp_path / "other")).claim() is None, (
            "another data directory is another workbench"
        )
    finally:
        first.release()
    again = QtSingleInstance(first.name)
    assert again.claim() is None, "once the first is gone, the next start is the workbench"
    again.release()


def _embedded_settings(home: Path, deadline: float) -> tuple[ConnectionSettings, dict[str, object]]:
    """The running workbench's broker and key, as its files tell them."""
    serve = home / "data" / "serve.json"
    secrets = home / "config" / "secrets.json"
    while time.monotonic() < deadline:
        if serve.exists() and secrets.exists():
            info = json.loads(serve.read_text())
            stored = json.loads(secrets.read_text())
            key = next((v for k, v in stored.items() if k.startswith("embedded-admin:")), "")
            if key:
                client_id, _, secret = key.partition(":")
                settings = ConnectionSettings(
                    info["grpc_address"], info["auth_url"], client_id, secret
                )
                return settings, info
        time.sleep(0.1)
    raise AssertionError("the first workbench did not start its broker in time")


@pytest.mark.timeout(120)
def test_a_second_workbench_leaves_the_first_running_and_reachable(tmp_path: Path) -> None:
    env = workbench_env(tmp_path)
    log = (tmp_path / "first.log").open("wb")
    first = subprocess.Popen(WORKBENCH, env=env, stdout=log, stderr=subprocess.STDOUT)
    served: dict[str, object] = {}
    try:
        settings, served = _embedded_settings(tmp_path, time.monotonic() + 90)
        second = subprocess.run(WORKBENCH, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        assert second.stdout.count("\n") == 1 and "already running" in second.stdout
        assert f"(process {first.pid})" in second.stdout
        version = subprocess.run(
            [*WORKBENCH, "--version"], env=env, capture_output=True, text=True, timeout=60
        )
        assert version.returncode == 0

        assert first.poll() is None, "the first workbench runs on"
        assert json.loads((tmp_path / "data" / "serve.json").read_text()) == served
        assert process_alive(int(str(served["pid"])))
        assert key_is_usable(settings)

        async def use() -> list[str]:
            client = BrokerClient(settings)
            await client.create_topic("still-here")
            names = [t.name for t in await client.topics()]
            await client.close()
            return names

        assert asyncio.run(use()) == ["still-here"]
    finally:
        first.terminate()
        first.wait(30)
        log.close()
    broker_pid = int(str(served["pid"]))
    deadline = time.monotonic() + 30
    while process_alive(broker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # the broker follows its parent out (--exit-with-parent)
    assert not process_alive(broker_pid)
