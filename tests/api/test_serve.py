"""``ensign-broker serve`` as a user runs it: clean stops, refusals, TLS, and the key commands."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import grpc
import pytest

from embedded_broker.proto.ensign.v1beta1 import ensign_pb2, ensign_pb2_grpc
from embedded_broker.storage.event_store import EventStore
from tests.api.client import Client, connect, event, login, wrap
from tests.serve_process import broker_command, create_key, start_broker


@pytest.mark.timeout(90)
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_ends_cleanly_with_every_acked_event_on_disk(
    tmp_path: Path, stop_signal: int
) -> None:
    broker = start_broker(tmp_path / "broker")
    client = connect(broker, create_key(broker.data_dir, "demo", "all"))
    topic = client.create_topic("busy")
    acked: list[bytes] = []
    stop_publishing = threading.Event()

    def publish_until_stopped() -> None:
        def requests():  # type: ignore[no-untyped-def]
            yield ensign_pb2.PublisherRequest(open_stream=ensign_pb2.OpenStream(client_id="t"))
            n = 0
            while not stop_publishing.is_set():
                yield ensign_pb2.PublisherRequest(
                    event=wrap(topic.id, event(f"e{n}", {"n": str(n)}))
                )
                n += 1

        try:
            for reply in client.ensign.Publish(requests(), metadata=client.auth):
                if reply.HasField("ack"):
                    acked.append(reply.ack.id)
        except grpc.RpcError:
            pass

    publisher = threading.Thread(target=publish_until_stopped)
    publisher.start()
    while len(acked) < 500:
        publisher.join(0.05)
    assert broker.stop(stop_signal) == 0, broker.log()
    stop_publishing.set()
    publisher.join(10)
    client.close()
    assert "stopped" in broker.log()
    assert not (broker.data_dir / "serve.json").exists()
    with EventStore.open(broker.data_dir) as store:
        stored = store.topic(topic.id).stats.events
        numbers = [int(r.event.metadata["n"]) for r in store.read(topic.id, 1, stored)]
    assert stored >= len(acked) >= 500
    assert numbers == list(range(stored))  # in order, nothing lost in between


def test_a_second_broker_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "broker")
    try:
        second = subprocess.run(
            broker_command(
                "serve",
                "--data-dir",
                str(broker.data_dir),
                "--listen",
                "127.0.0.1:0",
                "--auth-listen",
                "127.0.0.1:0",
            ),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert f"process {broker.process.pid}" in second.stderr
    finally:
        broker.stop()


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            broker_command(
                "serve",
                "--data-dir",
                str(tmp_path / "b"),
                "--listen",
                f"127.0.0.1:{port}",
                "--auth-listen",
                "127.0.0.1:0",
            ),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert (
        f"ensign-broker: cannot serve: cannot listen on 127.0.0.1:{port}: the address is in use"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("which", ["grpc", "auth"])
def test_a_taken_port_falls_back_to_a_free_one_when_asked(tmp_path: Path, which: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        addresses = {"listen": "127.0.0.1:0", "auth_listen": "127.0.0.1:0"}
        addresses["listen" if which == "grpc" else "auth_listen"] = f"127.0.0.1:{port}"
        broker = start_broker(tmp_path / "broker", "--free-port-if-taken", **addresses)
        try:
            key = create_key(broker.data_dir, "demo", "all")
            client = connect(broker, key)  # both addresses work
            assert client.create_topic("moved").name == "moved"
            client.close()
            moved = broker.grpc_address if which == "grpc" else broker.auth_url
            assert not moved.endswith(f":{port}")
            name = "gRPC" if which == "grpc" else "auth"
            assert f"{name} port {port} is taken; listening on a free port instead" in broker.log()
        finally:
            assert broker.stop() == 0


def _tls_client(broker_address: str, auth_url: str, key: dict[str, str], cert: Path) -> Client:
    context = ssl.create_default_context(cafile=str(cert))
    body = json.dumps({"client_id": key["client_id"], "client_secret": key["client_secret"]})
    request = urllib.request.Request(f"{auth_url}/v1/authenticate", data=body.encode())
    with urllib.request.urlopen(request, context=context, timeout=10) as reply:
        token = json.load(reply)["access_token"]
    credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
    channel = grpc.secure_channel(broker_address, credentials)
    from embedded_broker.proto.admin.v1 import admin_pb2_grpc

    return Client(
        channel, ensign_pb2_grpc.EnsignStub(channel), admin_pb2_grpc.BrokerAdminStub(channel), token
    )


@pytest.mark.timeout(60)
def test_tls_on_request_with_a_generated_certificate(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "broker", "--tls")
    try:
        info = json.loads((broker.data_dir / "serve.json").read_text())
        assert info["tls"] and broker.auth_url.startswith("https://")
        cert = Path(info["tls_certificate"])
        key = create_key(broker.data_dir, "demo", "all")
        client = _tls_client(broker.grpc_address, broker.auth_url, key, cert)
        topic = client.create_topic("secure")
        assert client.publish(topic.id, [wrap(topic.id, event("x"))])[1].HasField("ack")
        client.close()
        plain = grpc.insecure_channel(broker.grpc_address)
        with pytest.raises(grpc.RpcError):
            ensign_pb2_grpc.EnsignStub(plain).Status(ensign_pb2.HealthCheck(), timeout=5)
        plain.close()
        with pytest.raises(OSError):
            login(broker.auth_url.replace("https", "http"), key)
    finally:
        assert broker.stop() == 0


def test_listening_beyond_loopback_always_uses_tls(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "broker", listen="0.0.0.0:0")
    try:
        info = json.loads((broker.data_dir / "serve.json").read_text())
        assert info["tls"] is True
        assert "TLS" in broker.log()
    finally:
        assert broker.stop() == 0


def test_key_commands_print_json_and_never_list_secrets(tmp_path: Path) -> None:
    data_dir = tmp_path / "broker"
    created = create_key(data_dir, "demo", "publisher", "subscriber")
    assert len(created["client_id"]) == 32 and len(created["client_secret"]) == 64

    def run(*args: str) -> str:
        done = subprocess.run(
            broker_command("keys", *args, "--data-dir", str(data_dir)),
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    listed = json.loads(run("list", "--json"))
    assert [k["client_id"] for k in listed] == [created["client_id"]]
    assert listed[0]["permissions"] == ["publisher", "subscriber"]
    assert listed[0]["last_used_ms"] is None and listed[0]["created_ms"] > 1_600_000_000_000
    assert created["client_secret"] not in json.dumps(listed)
    header, row = run("list").splitlines()
    assert header.split() == [
        "CLIENT", "ID", "NAME", "PROJECT", "STATUS", "CREATED", "LAST", "USED", "PERMISSIONS"
    ]  # fmt: skip
    assert row.split() == [
        created["client_id"], "-", "demo", "active", "just", "now", "never", "publisher,subscriber"
    ]  # fmt: skip
    assert row.index("never") == header.index("LAST USED"), "columns line up under the header"
    assert json.loads(run("revoke", created["client_id"], "--json"))["revoked_ms"]
    bad = subprocess.run(
        broker_command(
            "keys",
            "create",
            "--data-dir",
            str(data_dir),
            "--project",
            "demo",
            "--permission",
            "cook",
        ),
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "invalid choice: 'cook'" in bad.stderr


@pytest.mark.timeout(60)
def test_a_broker_whose_parent_dies_stops_by_itself(tmp_path: Path) -> None:
    import time

    from tests.serve_process import process_alive

    launcher = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; "
            "p = subprocess.Popen(sys.argv[1:]); print(p.pid, flush=True); "
            "import time; time.sleep(60)",
            *broker_command(
                "serve",
                "--data-dir",
                str(tmp_path / "b"),
                "--listen",
                "127.0.0.1:0",
                "--auth-listen",
                "127.0.0.1:0",
                "--exit-with-parent",
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert launcher.stdout is not None
    broker_pid = int(launcher.stdout.readline())
    deadline = time.monotonic() + 30
    while not (tmp_path / "b" / "serve.json").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    launcher.kill()  # the "app" dies without stopping its broker
    launcher.wait()
    while process_alive(broker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_alive(broker_pid)
    assert not (tmp_path / "b" / "serve.json").exists()  # it stopped cleanly
