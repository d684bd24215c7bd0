"""``ensign-workbench produce`` whose broker is killed mid-run and comes back: the summary says
exactly which events were stored, and nothing is stored twice."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.serve_process import create_key, start_broker
from tests.workbench.app.headless_runs import connection_args, key_env
from tests.workbench.app.test_single_instance import workbench_env
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.event_export import topic_events

TEMPLATE = {
    "mimetype": "application/json",
    "type": "Run:1.0.0",
    "body": {"n": "{{ counter() }}"},
}


def _events(settings: ConnectionSettings, topic: str) -> list[bytes]:
    async def main() -> list[bytes]:
        client = BrokerClient(settings)
        await client.login()
        try:
            ids = {t.name: t.id for t in await client.topics()}
            if topic not in ids:
                return []
            return [row.data async for row in topic_events(client, ids[topic])]
        finally:
            await client.close()

    return asyncio.run(main())


@pytest.mark.timeout(180)
def test_a_run_whose_broker_is_killed_and_restarted_reports_what_was_stored(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "broker"
    broker = start_broker(data_dir)
    key = create_key(data_dir, "demo", "all")
    settings = ConnectionSettings(
        broker.grpc_address, broker.auth_url, key["client_id"], key["client_secret"]
    )
    template = tmp_path / "run.json"
    template.write_text(json.dumps(TEMPLATE))
    connection = connection_args(broker)
    run = subprocess.Popen(
        [
            *(sys.executable, "-m", "workbench", "produce", "--topic", "crash", "--create-topic"),
            *("--template", str(template), "--duration", "60", "--rate", "3000", "--json"),
            *connection,
        ],
        env=key_env(key),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    restarted = None
    try:
        deadline = time.monotonic() + 60
        while len(_events(settings, "crash")) < 1_500:
            assert time.monotonic() < deadline, "the run to publish"
            time.sleep(0.2)
        broker.stop(signal.SIGKILL)
        auth_port = broker.auth_url.rsplit(":", 1)[1]
        restarted = start_broker(
            data_dir, listen=broker.grpc_address, auth_listen=f"127.0.0.1:{auth_port}"
        )
        out, err = run.communicate(timeout=90)
        stored = _events(settings, "crash")
    finally:
        run.kill()
        broker.stop()
        if restarted is not None:
            restarted.stop()

    assert run.returncode == 1, err
    assert "not reachable" in err
    summary = json.loads(out)
    assert summary["state"] == "failed"
    assert summary["lost"] == 0, "asked again, the broker said which events it stored"
    assert summary["acked"] == len(stored)
    assert summary["acked"] + summary["unstored"] + summary["nacked"] == summary["sent"]
    numbers = [json.loads(data)["n"] for data in stored]
    assert len(set(numbers)) == len(numbers), "nothing stored twice"


@pytest.mark.timeout(180)
def test_a_run_on_the_embedded_broker_settles_where_it_comes_back_on_other_ports(
    tmp_path: Path,
) -> None:
    """Without --endpoint, produce finds this user's broker through its ``serve.json``; when
    the broker comes back elsewhere (as the workbench restarts it when its ports are taken),
    the run asks it there which events it stored instead of reporting them lost."""
    data_dir = tmp_path / "broker"
    broker = start_broker(data_dir)
    key = create_key(data_dir, "local", "all")  # the workbench's project
    template = tmp_path / "run.json"
    template.write_text(json.dumps(TEMPLATE))
    run = subprocess.Popen(
        [
            *(sys.executable, "-m", "workbench", "produce", "--data-dir", str(data_dir)),
            *("--topic", "moved", "--create-topic", "--template", str(template)),
            *("--duration", "60", "--rate", "3000", "--json"),
        ],
        env=workbench_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    restarted = None
    try:
        settings = ConnectionSettings(
            broker.grpc_address, broker.auth_url, key["client_id"], key["client_secret"]
        )
        deadline = time.monotonic() + 60
        while len(_events(settings, "moved")) < 1_500:
            assert time.monotonic() < deadline and run.poll() is None, "the run to publish"
            time.sleep(0.2)
        broker.stop(signal.SIGKILL)
        restarted = start_broker(data_dir)  # on new free ports
        assert restarted.grpc_address != broker.grpc_address
        out, err = run.communicate(timeout=90)
        stored = _events(
            ConnectionSettings(
                restarted.grpc_address, restarted.auth_url, key["client_id"], key["client_secret"]
            ),
            "moved",
        )
    finally:
        run.kill()
        broker.stop()
        if restarted is not None:
            restarted.stop()

    summary = json.loads(out)
    assert summary["lost"] == 0, f"asked on its new ports, the broker said what it stored: {err}"
    assert summary["acked"] == len(stored)
    assert summary["acked"] + summary["unstored"] + summary["nacked"] == summary["sent"]
