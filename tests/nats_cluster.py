"""A throwaway NATS JetStream cluster on loopback, for tests and benchmarks.

It runs Debian's ``nats-server`` (``apt-get install nats-server``; ``.ci/run`` installs it):
``size`` servers, each with JetStream (``-js``) and its own store directory, a client port, a
monitoring port and a cluster port, all routed to each other. :meth:`NatsCluster.start` returns
once every server reports the same JetStream meta leader, so streams can be created at once
(R3 streams still retry while their own group elects, which the client does).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

START_TIMEOUT_S = 60


def server_binary() -> str | None:
    """Where ``nats-server`` is, or None."""
    return shutil.which("nats-server") or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
    )


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class NatsNode:
    """One server of the cluster."""

    name: str
    client_port: int
    monitor_port: int
    cluster_port: int
    store_dir: Path
    log_file: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its client URL."""
        return f"nats://127.0.0.1:{self.client_port}"

    def jsz(self) -> dict[str, object]:
        """Its monitoring endpoint's JetStream report."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.monitor_port}/jsz", timeout=2
        ) as reply:
            answer: dict[str, object] = json.loads(reply.read())
            return answer


@dataclass
class NatsCluster:
    """A running cluster: its servers, their URLs, and ways to kill and restart one."""

    binary: str
    root: Path
    nodes: list[NatsNode] = field(default_factory=list)
    config: str = ""
    """Server configuration every node reads (e.g. an ``authorization`` block)."""

    @property
    def urls(self) -> list[str]:
        """Every server's client URL."""
        return [node.url for node in self.nodes]

    @classmethod
    def start(cls, size: int = 3, root: Path | None = None, config: str = "") -> NatsCluster:
        """Start ``size`` servers (each reading ``config``) and wait for a meta leader.

        Raises:
            RuntimeError: if ``nats-server`` is missing or the cluster does not form in time.
        """
        binary = server_binary()
        if binary is None:
            raise RuntimeError("nats-server is not installed (apt-get install nats-server)")
        base = root or Path(tempfile.mkdtemp(prefix="nats-cluster-"))
        ports = _free_ports(3 * size)
        cluster = cls(binary, base, config=config)
        for i in range(size):
            name = f"n{i + 1}"
            cluster.nodes.append(
                NatsNode(
                    name,
                    ports[3 * i],
                    ports[3 * i + 1],
                    ports[3 * i + 2],
                    base / name,
                    base / f"{name}.log",
                )
            )
        try:
            for node in cluster.nodes:
                cluster._launch(node)
            cluster.wait_for_leader()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _launch(self, node: NatsNode) -> None:
        routes = ",".join(f"nats://127.0.0.1:{n.cluster_port}" for n in self.nodes if n != node)
        cluster_flags = [
            "--cluster_name", "workbench-test",
            "--cluster", f"nats://127.0.0.1:{node.cluster_port}",
            "--routes", routes,
        ] if len(self.nodes) > 1 else []  # fmt: skip
        node.store_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            "-js",
            "-sd", str(node.store_dir),
            "-n", node.name,
            "-a", "127.0.0.1",
            "-p", str(node.client_port),
            "-m", str(node.monitor_port),
            *cluster_flags,
        ]  # fmt: skip
        if self.config:
            config_file = self.root / "server.conf"
            config_file.write_text(self.config)
            command += ["-c", str(config_file)]
        log = node.log_file.open("ab")
        node.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def wait_for_leader(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Wait until every running server names the same meta leader; return its name."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            leaders = set()
            for node in self.running():
                try:
                    meta = node.jsz().get("meta_cluster") or {}
                except OSError:
                    leaders.add("")
                    continue
                leaders.add(str(meta.get("leader", "")) if isinstance(meta, dict) else "")
            if len(self.nodes) == 1 and leaders == {""} and self._answers(self.nodes[0]):
                return self.nodes[0].name  # a single server has no meta group
            if len(leaders) == 1 and "" not in leaders:
                return leaders.pop()
            time.sleep(0.2)
        logs = "\n".join(n.log_file.read_text(errors="replace")[-2000:] for n in self.nodes)
        raise RuntimeError(f"the NATS cluster elected no meta leader in {timeout_s} s:\n{logs}")

    @staticmethod
    def _answers(node: NatsNode) -> bool:
        try:
            return bool(node.jsz())
        except OSError:
            return False

    def running(self) -> list[NatsNode]:
        """The servers whose process is alive."""
        return [n for n in self.nodes if n.process is not None and n.process.poll() is None]

    def kill(self, index: int) -> None:
        """SIGKILL one server (no clean shutdown)."""
        node = self.nodes[index]
        if node.process is not None and node.process.poll() is None:
            os.kill(node.process.pid, signal.SIGKILL)
            node.process.wait(10)

    def restart(self, index: int) -> None:
        """Start a killed server again with its store."""
        self._launch(self.nodes[index])

    def stop(self) -> None:
        """Stop every server and remove the store directories."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait(5)
        keep = os.environ.get("NATS_CLUSTER_LOGS")
        if keep:  # for looking into a failure: where to copy the servers' logs
            Path(keep).mkdir(parents=True, exist_ok=True)
            for node in self.nodes:
                with contextlib.suppress(OSError):
                    shutil.copy(node.log_file, Path(keep) / node.log_file.name)
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)


@contextmanager
def running_nats(size: int = 3, config: str = "") -> Iterator[NatsCluster]:
    """A cluster of ``size`` nodes (``config``: extra server configuration) for the ``with``
    block, stopped afterwards; the test is skipped, saying why, where ``nats-server`` is missing.
    """
    if server_binary() is None:
        pytest.skip("nats-server is not installed: apt-get install nats-server")
    cluster = NatsCluster.start(size, config=config)
    try:
        yield cluster
    finally:
        cluster.stop()
