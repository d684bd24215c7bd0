"""Running an ``ensign-workbench`` subcommand as a script does: its own process, no display,
a key in the environment, against a test broker."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from tests.serve_process import BrokerProcess


def key_env(key: dict[str, str]) -> dict[str, str]:
    """This process's environment with a key (as ``create_key`` makes it) and no display."""
    return {
        **os.environ,
        "ENSIGN_CLIENT_ID": key["client_id"],
        "ENSIGN_CLIENT_SECRET": key["client_secret"],
        "QT_QPA_PLATFORM": "",  # no display needed at all
        "DISPLAY": "",
    }


def connection_args(broker: BrokerProcess) -> list[str]:
    """The flags that point a headless command at ``broker`` over loopback plaintext."""
    return ["--endpoint", broker.grpc_address, "--auth-url", broker.auth_url, "--insecure"]


def run_headless(
    command: str, broker: BrokerProcess, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """``ensign-workbench COMMAND ARGS…`` against ``broker`` over loopback plaintext."""
    connection = connection_args(broker)
    return subprocess.run(
        [sys.executable, "-m", "workbench", command, *args, *connection],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_on_terminal(
    command: str, broker: BrokerProcess, env: dict[str, str], *args: str
) -> tuple[int, str, str]:
    """:func:`run_headless` with stderr on a terminal (a pseudo-terminal), as someone at a
    shell runs it: progress bars drawn. Returns (exit status, stdout, what the terminal got)."""
    connection = connection_args(broker)
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "workbench", command, *args, *connection],
            env={**env, "TERM": "xterm-256color", "COLUMNS": "100"},
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            timeout=120,
        )
        os.close(terminal)
        terminal = -1
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal side is closed and everything was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    return done.returncode, done.stdout, shown.decode("utf-8", "replace")
