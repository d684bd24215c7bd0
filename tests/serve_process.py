"""Run a real ``ensign-broker serve`` process on free loopback ports, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT_S = 30.0


@dataclass
class BrokerProcess:
    """A broker child process and where to reach it."""

    data_dir: Path
    process: subprocess.Popen[bytes]
    grpc_address: str
    auth_url: str
    log_path: Path
    extra_args: tuple[str, ...] = field(default=())

    def log(self) -> str:
        """Everything the broker logged so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Stop the process with ``sig``; return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def broker_command(*args: str) -> list[str]:
    """The command line of ``ensign-broker`` run with this interpreter."""
    return [sys.executable, "-m", "embedded_broker", *args]


def start_broker(
    data_dir: Path, *extra: str, listen: str = "127.0.0.1:0", auth_listen: str = "127.0.0.1:0"
) -> BrokerProcess:
    """Start ``ensign-broker serve`` and wait for its ready line (and ``serve.json``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    serve_file = data_dir / "serve.json"
    serve_file.unlink(missing_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-broker-{time.monotonic_ns()}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        broker_command(
            "serve",
            "--data-dir",
            str(data_dir),
            "--listen",
            listen,
            "--auth-listen",
            auth_listen,
            "--exit-with-parent",  # a crashed test run leaves no broker behind
            *extra,
        ),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log_file.close()
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the broker exited ({process.returncode}):\n{log_path.read_text()}")
        if serve_file.exists() and "ready:" in log_path.read_text(errors="replace"):
            info = json.loads(serve_file.read_text())
            return BrokerProcess(
                data_dir, process, info["grpc_address"], info["auth_url"], log_path, extra
            )
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the broker did not become ready:\n{log_path.read_text()}")


def create_key(data_dir: Path, project: str, *permissions: str) -> dict[str, str]:
    """``ensign-broker keys create ... --json``: a new key's ClientID, ClientSecret, project."""
    perms = [arg for p in permissions for arg in ("--permission", p)]
    result = subprocess.run(
        broker_command(
            "keys", "create", "--data-dir", str(data_dir), "--project", project, *perms, "--json"
        ),
        capture_output=True,
        text=True,
        check=True,
    )
    key: dict[str, str] = json.loads(result.stdout)
    return key


def revoke_key(data_dir: Path, client_id: str) -> None:
    """``ensign-broker keys revoke``: the key stops working at once, even while serving."""
    subprocess.run(
        broker_command("keys", "revoke", "--data-dir", str(data_dir), client_id),
        capture_output=True,
        check=True,
    )


def process_alive(pid: int) -> bool:
    """True while a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
