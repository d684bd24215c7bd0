"""``ensign-workbench produce`` and ``profile`` with ``--nats``: real processes, real servers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nats_cluster import NatsCluster, running_nats
from workbench.client.jetstream_client import JetStreamClient
from workbench.client.jetstream_settings import JetStreamSettings
from workbench.client.records import EventRow

AUTH_CONFIG = """
jetstream: enabled
authorization {
  users = [ { user: "alice", password: "wonderland-7" } ]
}
"""


def _headless(
    command: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "QT_QPA_PLATFORM": "", "DISPLAY": "", **(env or {})}

    return subprocess.run(
        [sys.executable, "-m", "workbench", command, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _urls(cluster: NatsCluster) -> str:
    return ",".join(cluster.urls)


def _read(settings: JetStreamSettings, stream: str) -> list[EventRow]:
    async def main() -> list[EventRow]:
        client = JetStreamClient(settings)
        await client.login()
        try:
            page = await client.read_events(stream.encode(), offset=1, limit=10_000)
            return page.events
        finally:
            await client.close()

    return asyncio.run(main())


@pytest.fixture(scope="module")
def auth_server() -> Iterator[NatsCluster]:
    """One server that wants a user and password."""
    with running_nats(1, AUTH_CONFIG) as server:
        yield server


def test_produce_to_a_new_r3_stream_counts_pubacks_as_acks(
    nats_cluster: NatsCluster, js_settings: JetStreamSettings
) -> None:
    stream = f"cli-{os.urandom(3).hex()}"
    done = _headless(
        "produce", "--nats", _urls(nats_cluster), "--topic", stream, "--create-topic",
        "--replicas", "3", "--body", '{"ok": true}', "--mimetype", "application/json",
        "--type", "Ping:2.0.0", "--meta", "source=cli", "--count", "500", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["acked"], summary["nacked"], summary["lost"]) == (500, 0, 0)
    events = _read(js_settings, stream)
    assert [e.offset for e in events] == list(range(1, 501))
    assert {(e.type_name, e.type_version, e.mimetype_text) for e in events} == {
        ("Ping", "2.0.0", "application/json")
    }
    assert events[0].metadata == {"source": "cli"} and events[0].subject == stream

    to_subject = _headless(
        "produce", "--nats", _urls(nats_cluster), "--topic", stream, "--subject",
        f"{stream}.eu", "--body", "x", "--count", "3",
    )  # fmt: skip
    assert to_subject.returncode == 0, to_subject.stderr
    assert {e.subject for e in _read(js_settings, stream)[500:]} == {f"{stream}.eu"}


def test_produce_usage_and_connection_errors_exit_2_with_one_line(
    nats_cluster: NatsCluster,
) -> None:
    urls = _urls(nats_cluster)
    cases = [
        (["--nats", urls, "--topic", "no-such-stream", "--body", "x"], "no stream"),
        (["--nats", urls, "--topic", "t", "--body", "x", "--endpoint", "h:1"], "--endpoint"),
        (["--nats", "nats://127.0.0.1:1", "--topic", "t", "--body", "x"], "cannot use"),
        (["--topic", "t", "--body", "x", "--subject", "t.x"], "need --nats"),
        (["--nats", urls, "--nats-password", "p", "--topic", "t", "--body", "x"], "needs"),
        (["--nats", "http://x", "--topic", "t", "--body", "x"], "not a NATS URL"),
    ]
    for args, reason in cases:
        done = _headless("produce", *args)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and reason in lines[0], (args, done.stderr)


def test_a_subject_the_stream_does_not_take_exits_2(nats_cluster: NatsCluster) -> None:
    stream = f"subj-{os.urandom(3).hex()}"
    done = _headless(
        "produce", "--nats", _urls(nats_cluster), "--topic", stream, "--create-topic",
        "--subject", "elsewhere", "--body", "x",
    )  # fmt: skip
    assert done.returncode == 2
    assert "does not take subject 'elsewhere'" in done.stderr


def test_an_event_over_the_servers_payload_limit_is_refused_and_exits_1(
    nats_cluster: NatsCluster, tmp_path: Path
) -> None:
    stream = f"big-{os.urandom(3).hex()}"
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps({"n": 1}) + "\n" + json.dumps({"x": "a" * 1_500_000}) + "\n")
    done = _headless(
        "produce", "--nats", _urls(nats_cluster), "--topic", stream, "--create-topic",
        "--file", str(lines), "--json",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["acked"], summary["nacked"]) == (1, 1)
    assert summary["first_errors"][0]["code"] == "MAX_EVENT_SIZE_EXCEEDED"


def test_user_and_password_log_in_and_a_wrong_password_exits_2(auth_server: NatsCluster) -> None:
    url = auth_server.urls[0]
    base = ["--nats", url, "--topic", "secured", "--create-topic", "--body", "x"]
    wrong = _headless("produce", *base, "--nats-user", "alice", env={"NATS_PASSWORD": "nope"})
    assert wrong.returncode == 2
    assert "refused the credentials" in wrong.stderr or "uthorization" in wrong.stderr
    assert "nope" not in wrong.stderr
    right = _headless(
        "produce", *base, "--nats-user", "alice", env={"NATS_PASSWORD": "wonderland-7"}
    )
    assert right.returncode == 0, right.stderr
    anonymous = _headless("produce", *base)
    assert anonymous.returncode == 2


def test_profile_reads_a_stream(nats_cluster: NatsCluster) -> None:
    stream = f"prof-{os.urandom(3).hex()}"
    made = _headless(
        "produce", "--nats", _urls(nats_cluster), "--topic", stream, "--create-topic",
        "--body", '{"price": 3, "sku": "a"}', "--mimetype", "application/json", "--count", "20",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = _headless("profile", "--nats", _urls(nats_cluster), "--topic", stream, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["events"] == 20
    assert {f["path"] for f in report["fields"]} >= {"price", "sku"}
    missing = _headless("profile", "--nats", _urls(nats_cluster), "--topic", "nope", "--json")
    assert missing.returncode == 2 and "no stream" in missing.stderr


def test_a_demo_scenario_runs_on_the_cluster(nats_cluster: NatsCluster) -> None:
    done = _headless(
        "produce", "--nats", _urls(nats_cluster), "--scenario", "bank", "--duration", "2", "--json"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["scenario"] and summary["acked"] > 0 and summary["nacked"] == 0
    assert {t["topic"] for t in summary["topics"]} == {"bank.accounts"}


def test_an_nkey_seed_file_logs_in(tmp_path: Path) -> None:
    import nkeys

    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    public = nkeys.from_seed(bytearray(seed)).public_key.decode()
    config = f'jetstream: enabled\nauthorization {{ users = [ {{ nkey: "{public}" }} ] }}\n'
    with running_nats(1, config) as server:
        seed_file = tmp_path / "user.nk"
        seed_file.write_bytes(seed + b"\n")
        base = ["--nats", server.urls[0], "--topic", "keyed", "--create-topic", "--body", "x"]
        done = _headless("produce", *base, "--nats-nkey", str(seed_file))
        assert done.returncode == 0, done.stderr
        assert seed.decode() not in done.stderr + done.stdout
        anonymous = _headless("produce", *base)
        assert anonymous.returncode == 2 and "refused the credentials" in anonymous.stderr
