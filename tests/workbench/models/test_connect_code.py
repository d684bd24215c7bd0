"""Snippets, .env and credentials JSON for a broker (no Qt; pyensign runs them in tests/interop)."""

from __future__ import annotations

import ast
import json
import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from tests.interop.pyensign_env import pyensign_python
from tests.serve_process import create_key, start_broker
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.connect_code import (
    env_file,
    pyensign_snippet,
    save_credentials_json,
    save_env_file,
    shell_exports,
    tls_mode,
)

LOCAL = ConnectionSettings("127.0.0.1:5356", "http://127.0.0.1:5357", "", "")
TLS = ConnectionSettings(
    "broker.example:5356",
    "https://broker.example:5357",
    "",
    "",
    tls=True,
    ca_certificate=b"PEM",
    ca_file="/home/me/My Broker/tls/cert.pem",
)


def env_values(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if line and line[0] != "#"]
    return {name: shlex.split(value)[0] for name, value in pairs}


def test_files_are_private_and_hold_what_pyensign_and_code_read(tmp_path: Path) -> None:
    env_path, json_path = tmp_path / ".env", tmp_path / "creds.json"
    env_path.write_text("old")
    env_path.chmod(0o644)
    save_env_file(env_path, LOCAL, "ID", "SECRET", "key 'ci' of project local")
    save_credentials_json(json_path, "ID", "SECRET")
    for path in (env_path, json_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(json_path.read_text()) == {"ClientID": "ID", "ClientSecret": "SECRET"}
    text = env_path.read_text()
    assert text.startswith("# key 'ci' of project local\n")
    assert env_values(text) == {
        "ENSIGN_CLIENT_ID": "ID",
        "ENSIGN_CLIENT_SECRET": "SECRET",
        "ENSIGN_ENDPOINT": "127.0.0.1:5356",
        "ENSIGN_AUTH_URL": "http://127.0.0.1:5357",
    }
    assert "insecure=True" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", "creds.json"], "no temporaries"


def test_tls_brokers_point_grpc_and_python_at_the_ca_file() -> None:
    values = env_values(env_file(TLS, "ID", "SECRET"))
    assert values["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] == TLS.ca_file
    assert values["SSL_CERT_FILE"] == TLS.ca_file
    snippet = pyensign_snippet(TLS, "ID", "SECRET")
    ast.parse(snippet)
    assert "insecure" not in snippet and repr(TLS.ca_file) in snippet
    assert tls_mode(TLS).startswith("TLS") and tls_mode(LOCAL).startswith("plaintext")
    exports = shell_exports(TLS)
    assert "export ENSIGN_CLIENT_ID='<your ClientID>'" in exports
    assert f"export SSL_CERT_FILE='{TLS.ca_file}'" in exports


def test_snippets_run_as_written_with_or_without_the_key() -> None:
    with_key = pyensign_snippet(LOCAL, "ID", "SECRET")
    ast.parse(with_key)
    assert "client_id='ID'" in with_key and "insecure=True" in with_key
    assert "get_topics" in with_key
    from_env = pyensign_snippet(LOCAL, permissions=["publisher"])
    ast.parse(from_env)
    assert "client_id" not in from_env and "ENSIGN_CLIENT_ID" in from_env
    assert "status()" in from_env


@pytest.mark.timeout(180)
def test_the_tls_snippet_runs_with_pyensign_against_a_broker_with_its_own_certificate(
    tmp_path: Path,
) -> None:
    broker = start_broker(tmp_path / "broker", "--tls")
    try:
        info = json.loads((broker.data_dir / "serve.json").read_text())
        key = create_key(broker.data_dir, "local", "topics:read")
        settings = ConnectionSettings(
            broker.grpc_address,
            broker.auth_url,
            "",
            "",
            tls=True,
            ca_certificate=Path(info["tls_certificate"]).read_bytes(),
            ca_file=info["tls_certificate"],
        )
        program = tmp_path / "tls_snippet.py"
        program.write_text(pyensign_snippet(settings, key["client_id"], key["client_secret"]))
        ran = subprocess.run(
            [str(pyensign_python()), str(program)], capture_output=True, text=True, timeout=120
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout == "connected; topics: none yet\n"
    finally:
        broker.stop()
