"""``ensign-workbench produce`` as a script runs it: a real process against a real broker."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.serve_process import BrokerProcess, create_key
from tests.workbench.app.headless_runs import (
    connection_args,
    key_env,
    run_headless,
    run_on_terminal,
)
from tests.workbench.conftest import running_broker
from workbench.client.broker_client import BrokerClient
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.event_export import topic_events

PRODUCE = [sys.executable, "-m", "workbench", "produce"]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with running_broker(tmp_path_factory, "produce") as process:
        yield process


@pytest.fixture(scope="module")
def env(broker: BrokerProcess) -> dict[str, str]:
    return key_env(create_key(broker.data_dir, "demo", "all"))


def _produce(
    broker: BrokerProcess, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return run_headless("produce", broker, env, *args)


def _client(broker: BrokerProcess, env: dict[str, str]) -> BrokerClient:
    return BrokerClient(
        ConnectionSettings(
            broker.grpc_address,
            broker.auth_url,
            env["ENSIGN_CLIENT_ID"],
            env["ENSIGN_CLIENT_SECRET"],
        )
    )


T = TypeVar("T")


def _using_client(
    broker: BrokerProcess, env: dict[str, str], work: Callable[[BrokerClient], Awaitable[T]]
) -> T:
    """``work`` done with the workbench's client, logged in with ``env``'s key, then closed."""

    async def main() -> T:
        client = _client(broker, env)
        await client.login()
        try:
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(main())


async def _topic_id(client: BrokerClient, topic: str) -> bytes:
    return {t.name: t.id for t in await client.topics()}[topic]


def _read(broker: BrokerProcess, env: dict[str, str], topic: str) -> list[dict[str, object]]:
    """The topic's events, read back through the workbench's client."""

    async def read(client: BrokerClient) -> list[dict[str, object]]:
        return [
            {
                "data": r.data.decode(),
                "type": f"{r.type_name}:{r.type_version}",
                "mimetype": r.mimetype,
                "metadata": r.metadata,
            }
            async for r in topic_events(client, await _topic_id(client, topic))
        ]

    return _using_client(broker, env, read)


def _archive(broker: BrokerProcess, env: dict[str, str], topic: str) -> None:
    async def archive(client: BrokerClient) -> None:
        await client.archive_topic(await _topic_id(client, topic))

    _using_client(broker, env, archive)


def test_every_event_acknowledged_exits_0_with_a_json_summary(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    done = _produce(
        broker,
        env,
        "--topic",
        "orders",
        "--create-topic",
        "--body",
        '{"id": 1}',
        "--mimetype",
        "application/json",
        "--type",
        "Order:1.2.3",
        "--meta",
        "region=eu",
        "--count",
        "300",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["sent"], summary["acked"], summary["nacked"]) == (300, 300, 0)
    assert summary["first_errors"] == [] and summary["events_per_s"] > 0
    rows = _read(broker, env, "orders")
    assert len(rows) == 300
    assert rows[0] == {
        "data": '{"id": 1}',
        "type": "Order:1.2.3",
        "mimetype": 50,
        "metadata": {"region": "eu"},
    }


def test_ctrl_c_stops_the_run_and_prints_what_was_sent_and_stored(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    pace = ["--rate", "500", "--duration", "60", "--json"]
    connection = connection_args(broker)
    run = subprocess.Popen(
        [*PRODUCE, "--topic", "interrupted", "--create-topic", "--body", "x", *pace, *connection],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _topic_exists(broker, env, "interrupted"):
            time.sleep(0.2)
        time.sleep(1.0)  # some events sent
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert run.returncode == 1, err
    assert err.strip() == "ensign-workbench produce: interrupted (the counts are final)"
    summary = json.loads(out)
    assert summary["state"] == "stopped" and summary["sent"] > 0
    assert summary["acked"] == summary["sent"] == len(_read(broker, env, "interrupted"))


def _topic_exists(broker: BrokerProcess, env: dict[str, str], topic: str) -> bool:
    async def exists(client: BrokerClient) -> bool:
        return topic in {t.name for t in await client.topics()}

    return _using_client(broker, env, exists)


def test_on_a_terminal_a_progress_bar_is_drawn_and_the_summary_printed(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    status, out, shown = run_on_terminal(
        "produce", broker, env, "--topic", "on-tty", "--create-topic", "--body", "x",
        "--count", "2000", "--rate", "1000",
    )  # fmt: skip
    assert "Traceback" not in shown and status == 0, shown
    assert "producing" in shown, "the progress bar is drawn on the terminal (stderr)"
    assert out.startswith("sent 2,000, acked 2,000"), "stdout keeps only the summary"
    status, out, shown = run_on_terminal("profile", broker, env, "--topic", "on-tty")
    assert "Traceback" not in shown and status == 0, shown
    assert out.startswith("on-tty: 2,000 events read")


def test_a_paced_run_sends_rate_times_duration_events_starting_at_once(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    done = _produce(
        broker, env, "--topic", "paced", "--create-topic", "--body", "x",
        "--rate", "10", "--duration", "2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sent 20, acked 20"), "at 0, 0.1 … 1.9 s"
    done = _produce(broker, env, "--topic", "paced", "--body", "x", "--rate", "0.001")
    assert done.returncode == 0 and done.stdout.startswith("sent 1, acked 1"), "no 1,000 s wait"


def test_refused_events_exit_1_and_say_why(
    broker: BrokerProcess, env: dict[str, str], tmp_path: Path
) -> None:
    assert (
        _produce(broker, env, "--topic", "closed", "--create-topic", "--body", "x").returncode == 0
    )
    _archive(broker, env, "closed")
    done = _produce(broker, env, "--topic", "closed", "--body", "x", "--count", "3", "--json")
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    assert (summary["acked"], summary["nacked"]) == (0, 3)
    assert summary["first_errors"][0]["code"] == "TOPIC_ARCHIVED"
    big = tmp_path / "big.jsonl"
    big.write_text(json.dumps({"v": "x" * (5 * 1024 * 1024 + 10)}) + "\n" + '{"v": "ok"}\n')
    done = _produce(
        broker, env, "--topic", "open", "--create-topic", "--file", str(big), "--map-data", "v"
    )
    assert done.returncode == 1
    assert "acked 1, nacked 1" in done.stdout and "MAX_EVENT_SIZE_EXCEEDED" in done.stdout


def test_a_bad_line_in_a_file_exits_1_naming_it(
    broker: BrokerProcess, env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"v": 1}\n{"v": 2}\n{"v": \n{"v": 4}\n')
    done = _produce(
        broker,
        env,
        "--topic",
        "imported",
        "--create-topic",
        "--file",
        str(path),
        "--map-data",
        "v",
    )
    assert done.returncode == 1
    assert "line 3: not valid JSON" in done.stderr
    assert "sent 2, acked 2" in done.stdout
    assert [r["data"] for r in _read(broker, env, "imported")] == ["1", "2"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--topic", "t", "--body", "x", "--count", "-1"], "must be 0 or more"),
        (["--topic", "t"], "one of the arguments --template --body --file --scenario is required"),
        (["--topic", "missing", "--body", "x"], "no topic 'missing'; add --create-topic"),
        (
            ["--topic", "ordérs", "--create-topic", "--body", "x"],
            "produce: --topic 'ordérs': topic name 'ordérs' may contain only letters a-z",
        ),
        (["--topic", "t", "--body", "{", "--mimetype", "application/json"], "not valid JSON"),
        (["--topic", "t", "--body", "x", "--mimetype", "image/gif"], "unknown mimetype"),
        (["--topic", "t", "--body", "x", "--shape", "burst"], "at least 1 event per burst"),
        (["--topic", "t", "--body", "x", "--rate", "nan"], "--rate: must be a number, 0 or more"),
        (["--topic", "t", "--body", "x", "--meta", "a=1", "--meta", "a=2"], "'a' is given twice"),
        (["--topic", "t", "--file", "/"], "--file /: a folder, not a file"),
        (["--topic", "t", "--body", "x", "--duration", "inf"], "--duration: must be a number"),
        (  # a byte that is not UTF-8 reaches Python as a lone surrogate
            ["--topic", "t", "--body", "x", "--meta", "k\udcff=v"],
            "--meta 'k\\udcff' holds bytes that are not UTF-8 text",
        ),
        (["--topic", "t", "--body", "\udcff"], "--body '\\udcff' holds bytes that are not UTF-8"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    broker: BrokerProcess, env: dict[str, str], args: list[str], words: str
) -> None:
    done = _produce(broker, env, *args)
    assert done.returncode == 2
    assert words in done.stderr and len(done.stderr.strip().splitlines()) <= 3


def test_connection_problems_exit_2(broker: BrokerProcess, env: dict[str, str]) -> None:
    no_creds = {k: v for k, v in env.items() if not k.startswith("ENSIGN_CLIENT")}
    done = _produce(broker, no_creds, "--topic", "t", "--body", "x")
    assert done.returncode == 2 and "ENSIGN_CLIENT_ID" in done.stderr
    wrong = {**env, "ENSIGN_CLIENT_SECRET": "not-the-secret"}
    done = _produce(broker, wrong, "--topic", "t", "--body", "x")
    assert done.returncode == 2 and "cannot use the broker" in done.stderr
    remote = subprocess.run(
        [
            *PRODUCE,
            "--topic",
            "t",
            "--body",
            "x",
            "--endpoint",
            "192.0.2.1:5356",
            "--auth-url",
            "http://192.0.2.1:5357",
            "--insecure",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert remote.returncode == 2 and "loopback only" in remote.stderr


def _produce_at(
    env: dict[str, str], endpoint: str, auth_url: str, *tls: str
) -> subprocess.CompletedProcess[str]:
    connection = ["--endpoint", endpoint, "--auth-url", auth_url, *tls]
    return subprocess.run(
        [*PRODUCE, "--topic", "t", "--body", "x", *connection],
        env={k: v for k, v in env.items() if k != "GRPC_VERBOSITY"},  # as a user's shell has it
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_mixed_up_ports_or_tls_are_named_in_one_line(
    broker: BrokerProcess, env: dict[str, str]
) -> None:
    grpc_url = f"http://{broker.grpc_address}"
    done = _produce_at(env, broker.grpc_address, grpc_url, "--insecure")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "does not answer as the broker's auth endpoint (HTTP); is it the gRPC port?" in (
        done.stderr
    )
    done = _produce_at(env, broker.grpc_address, broker.auth_url)  # TLS to a plaintext port
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "the TLS handshake failed: the broker answers without TLS on this port" in done.stderr


def test_a_template_run_is_reproducible_with_a_seed(
    broker: BrokerProcess, env: dict[str, str], tmp_path: Path
) -> None:
    quotes = ['say "hi"', "back\\slash", "line\nbreak", "emoji ✓"]
    template = tmp_path / "orders.json"
    body = {
        "id": "{{ counter() }}",
        "who": "{{ faker.name() }}",
        "quote": "{{ choice(" + json.dumps(quotes) + ") }}",
    }
    document = {
        "type": "Order:2.0.0",
        "metadata": {"region": "{{ choice(['eu', 'us']) }}"},
        "body": body,
    }
    template.write_text(json.dumps(document))
    for topic in ("seeded-a", "seeded-b"):
        done = _produce(
            broker,
            env,
            "--topic",
            topic,
            "--create-topic",
            "--template",
            str(template),
            "--count",
            "50",
            "--seed",
            "7",
            "--meta",
            "run=ci",
        )
        assert done.returncode == 0, done.stderr
    first, second = _read(broker, env, "seeded-a"), _read(broker, env, "seeded-b")
    assert first == second and len(first) == 50
    bodies = [json.loads(str(r["data"])) for r in first]
    assert [b["id"] for b in bodies] == list(range(1, 51))
    assert all(r["type"] == "Order:2.0.0" and r["metadata"]["run"] == "ci" for r in first)  # type: ignore[index]
    assert {b["quote"] for b in bodies} <= set(quotes)


def test_a_template_that_escapes_the_sandbox_exits_2(
    broker: BrokerProcess, env: dict[str, str], tmp_path: Path
) -> None:
    template = tmp_path / "evil.json"
    template.write_text(json.dumps({"mimetype": "text/plain", "body": "{{ cycler.__init__ }}"}))
    done = _produce(broker, env, "--topic", "t", "--create-topic", "--template", str(template))
    assert done.returncode == 2 and "--template" in done.stderr


def test_a_scenario_runs_headless_into_its_topics_and_says_what_it_did(
    broker: BrokerProcess, env: dict[str, str], tmp_path: Path
) -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "workbench", "scenarios", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    iot = next(s for s in json.loads(listed.stdout) if s["name"] == "iot")

    done = _produce(broker, env, "--scenario", "iot", "--duration", "2", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["scenario"] == "iot" and summary["state"] == "done"
    assert summary["acked"] == summary["sent"] > 0 and summary["nacked"] == summary["lost"] == 0
    topics = iot["topics"]
    assert sorted(t["topic"] for t in summary["topics"]) == sorted(topics)
    for each in summary["topics"]:
        stored = _read(broker, env, each["topic"])
        assert each["acked"] == each["sent"] == len(stored) > 0, each
    assert summary["acked"] == sum(t["acked"] for t in summary["topics"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--scenario", "nope", "--count", "20"], "no scenario 'nope'; the scenarios are: bank,"),
        (["--scenario", "iot", "--count", "20", "--duration", "1"], "drop --count\n"),
        (["--scenario", "iot", "--rate", "5", "--duration", "1"], "drop --rate\n"),
        (["--scenario", "iot"], "--scenario needs --duration SECONDS"),
    ],
)
def test_scenario_usage_errors_name_what_is_wrong(
    broker: BrokerProcess, env: dict[str, str], args: list[str], words: str
) -> None:
    done = _produce(broker, env, *args)
    assert done.returncode == 2 and words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
