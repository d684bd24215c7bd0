"""``ensign-workbench profile`` as a script runs it: a real process against a real broker."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.app.headless_runs import key_env, run_headless
from tests.workbench.conftest import running_broker, settings_for
from tests.workbench.profile_topic import build_orders
from workbench.app import main
from workbench.app import profile_command as command
from workbench.client.broker_client import BrokerClient
from workbench.client.errors import Unavailable


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "profile-command") as process:
        yield process


@pytest.fixture(scope="module")
def env(broker: BrokerProcess) -> dict[str, str]:
    key = create_key(broker.data_dir, "demo", "all")

    async def build() -> dict[str, int]:
        client = BrokerClient(settings_for(broker, key))
        await client.login()
        try:
            return (await build_orders(client))[1]
        finally:
            await client.close()

    return {**key_env(key), "COMMITTED": json.dumps(asyncio.run(build()))}


def _profile(
    broker: BrokerProcess, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return run_headless("profile", broker, env, *args)


def test_json_has_the_topic_its_fields_and_exact_drift(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    done = _profile(broker, env, "--topic", "orders", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["topic"], doc["events"], doc["objects"]) == ("orders", 62, 60)
    assert (doc["not_json"], doc["not_object"]) == (1, 1)
    fields = {f["path"]: f for f in doc["fields"]}
    assert list(fields) == ["id", "amount", "region", "score", "note", "coupon"]
    amount = fields["amount"]
    assert amount["types"] == {"integer": 30, "string": 30}
    assert (amount["missing"], amount["min"], amount["max"], amount["mean"]) == (0, 2, 60, 31.0)
    assert (fields["score"]["nulls"], fields["score"]["mean"]) == (12, 15.0)
    assert fields["note"]["missing"] == 40 and "min" not in fields["note"]
    committed = json.loads(env["COMMITTED"])
    assert doc["drift"] == [
        {"path": "note", "change": "disappeared", "offset": 21, "committed_ms": committed["21"]},
        {
            "path": "amount",
            "change": "type",
            "offset": 31,
            "committed_ms": committed["31"],
            "from": "integer",
            "to": "string",
        },
        {"path": "coupon", "change": "appeared", "offset": 41, "committed_ms": committed["41"]},
    ]


def test_limit_profiles_the_last_events(broker: BrokerProcess, env: dict[str, str]) -> None:
    done = _profile(broker, env, "--topic", "orders", "--limit", "25", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["events"], doc["first_offset"], doc["last_offset"]) == (25, 38, 62)
    assert [(d["path"], d["change"], d["offset"]) for d in doc["drift"]] == [
        ("coupon", "appeared", 41)
    ]


def test_the_table_names_paths_figures_and_drift(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    done = _profile(broker, env, "--topic", "orders")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "orders: 62 events read, 60 JSON objects (1 not JSON, 1 not an object), offsets 1 to 62"
    )
    assert lines[2].split() == [
        "PATH",
        "TYPES",
        "MISSING",
        "NULL",
        "MIN",
        "MAX",
        "MEAN",
        "TOP",
        "VALUES",
    ]
    amount = next(line for line in lines if line.startswith("amount "))
    assert amount.split() == [
        "amount",
        "integer",
        "50%,",
        "string",
        "50%",
        "0%",
        "0%",
        "2",
        "60",
        "31",
        "31.00",
        "(1),",
        "32.00",
        "(1),",
        "33.00",
        "(1)",
    ]
    assert "  amount changed type from integer to string at offset 31 (" in done.stdout
    assert "  coupon appeared at offset 41 (" in done.stdout


def test_usage_and_connection_problems_exit_2_with_one_line(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    done = _profile(broker, env, "--topic", "missing")
    assert done.returncode == 2 and "no topic 'missing'" in done.stderr
    assert "--create-topic" not in done.stderr, "profile has no such option to suggest"
    assert len(done.stderr.strip().splitlines()) == 1
    done = _profile(broker, env, "--topic", "orders", "--limit", "0")
    assert done.returncode == 2 and "must be 1 or more" in done.stderr
    wrong = {**env, "ENSIGN_CLIENT_SECRET": "not-the-secret"}
    done = _profile(broker, wrong, "--topic", "orders")
    assert done.returncode == 2 and "cannot use the broker" in done.stderr


def test_a_read_failing_part_way_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Client:
        async def close(self) -> None:
            pass

    async def opened(*_args: object) -> tuple[Client, bytes]:
        return Client(), b"t"

    async def failing(*_args: object) -> int:
        raise Unavailable("the broker went away")

    monkeypatch.setenv("ENSIGN_CLIENT_ID", "id")
    monkeypatch.setenv("ENSIGN_CLIENT_SECRET", "secret")
    monkeypatch.setattr(command, "open_topic", opened)
    monkeypatch.setattr(command, "read_topic", failing)
    status = main(
        [
            "profile",
            "--topic",
            "t",
            "--endpoint",
            "127.0.0.1:1",
            "--auth-url",
            "http://127.0.0.1:2",
            "--insecure",
        ]
    )
    assert status == 1
    assert capsys.readouterr().err == (
        "ensign-workbench profile: reading 't' failed: the broker went away\n"
    )
