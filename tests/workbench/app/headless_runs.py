"""Running an ``ensign-workbench`` subcommand as a script does: its own process, no display,
a key in the environment, against a test broker."""

from __future__ import annotations

import os
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


def run_headless(
    command: str, broker: BrokerProcess, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """``ensign-workbench COMMAND ARGS…`` against ``broker`` over loopback plaintext."""
    connection = ["--endpoint", broker.grpc_address, "--auth-url", broker.auth_url, "--insecure"]
    return subprocess.run(
        [sys.executable, "-m", "workbench", command, *args, *connection],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
