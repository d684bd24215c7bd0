"""How this user's embedded broker is reached: its ``serve.json`` and the workbench's own key.

The workbench starts ``ensign-broker serve`` on free loopback ports; the broker writes where it
listens to ``serve.json`` in its data directory. The workbench keeps one admin key per data
directory in the secret store (OS keyring or a 0600 file), under ``embedded-admin:<data dir>``,
as ``ClientID:ClientSecret``. Headless commands (``ensign-workbench produce``) use the same two
to reach the running broker with no setup.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from workbench.client.authentication import key_is_usable
from workbench.client.connection_settings import ConnectionSettings
from workbench.models.frozen_app import broker_command
from workbench.models.secret_store import SecretStore

SERVE_FILE = "serve.json"
LOCAL_PROJECT = "local"
"""The project the workbench's own key (and the topics it creates) belongs to."""
KEY_TIMEOUT_S = 60


class NotRunning(Exception):
    """No embedded broker is running in this data directory (the message says what to do)."""


def key_name(data_dir: Path) -> str:
    """The secret store entry of the workbench's key for a data directory."""
    return f"embedded-admin:{data_dir.resolve()}"


def served_at(data_dir: Path) -> ConnectionSettings:
    """Where the broker serving ``data_dir`` listens (without a key: ClientID and secret empty).

    Raises:
        NotRunning: if no broker serves it (no ``serve.json``, or its process is gone).
    """
    path = data_dir / SERVE_FILE
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        raise NotRunning(
            f"no embedded broker is running for {data_dir}: start ensign-workbench (or "
            "ensign-broker serve), or give the broker's --endpoint and --auth-url"
        ) from None
    if not _alive(int(info.get("pid", 0))):
        raise NotRunning(f"the broker that wrote {path} has stopped: start ensign-workbench")
    certificate = info.get("tls_certificate")
    return ConnectionSettings(
        info["grpc_address"],
        info["auth_url"],
        "",
        "",
        bool(info.get("tls")),
        Path(certificate).read_bytes() if certificate else None,
        certificate or "",
    )


def saved_key(data_dir: Path, secrets: SecretStore) -> tuple[str, str] | None:
    """The workbench's saved (ClientID, ClientSecret) for a data directory, if any."""
    saved = secrets.get(key_name(data_dir))
    if not saved:
        return None
    client_id, _, secret = saved.partition(":")
    return (client_id, secret) if client_id and secret else None


def admin_key(data_dir: Path, secrets: SecretStore, broker: ConnectionSettings) -> tuple[str, str]:
    """The workbench's key for ``data_dir``: the saved one while the running ``broker`` accepts
    it, else a new one made with ``ensign-broker keys create`` and saved (first start, or the
    saved key was revoked). Blocks: call it from a worker thread.

    Raises:
        ClientError: if the broker cannot be asked (see ``key_is_usable``).
        subprocess.CalledProcessError: if creating a key fails.
    """
    saved = saved_key(data_dir, secrets)
    if saved is not None:
        client_id, secret = saved
        if key_is_usable(replace(broker, client_id=client_id, client_secret=secret)):
            return saved
    done = subprocess.run(
        broker_command(
            "keys",
            "create",
            "--data-dir",
            str(data_dir),
            "--project",
            LOCAL_PROJECT,
            "--permission",
            "all",
            "--name",
            "ensign-workbench",
            "--json",
        ),
        capture_output=True,
        text=True,
        check=True,
        timeout=KEY_TIMEOUT_S,
    )
    key = json.loads(done.stdout)
    secrets.put(key_name(data_dir), f"{key['client_id']}:{key['client_secret']}")
    return key["client_id"], key["client_secret"]


def embedded_connection(data_dir: Path, secrets: SecretStore) -> ConnectionSettings:
    """How to reach the running embedded broker with the workbench's key (made if needed).

    Raises:
        NotRunning: if no broker serves ``data_dir``.
        ClientError: if the broker cannot be asked about the key.
    """
    broker = served_at(data_dir)
    client_id, secret = admin_key(data_dir, secrets, broker)
    return replace(broker, client_id=client_id, client_secret=secret)


def moved_ports_notice(settings: ConnectionSettings, wanted: tuple[int, int]) -> str:
    """What to tell the user when the broker is not on the ``wanted`` (gRPC, auth) ports
    because another program holds them ("" when it is on both)."""
    grpc_port = int(settings.grpc_address.rpartition(":")[2] or 0)
    auth_port = urlsplit(settings.auth_url).port
    moved = []
    if grpc_port != wanted[0]:
        moved.append(f"port {wanted[0]} was taken, so gRPC listens on {settings.grpc_address}")
    if auth_port != wanted[1]:
        moved.append(f"port {wanted[1]} was taken, so auth listens on {settings.auth_url}")
    if not moved:
        return ""
    said = "; ".join(moved)
    return (
        f"{said[0].upper()}{said[1:]}. Code written for Ensign's usual ports needs these "
        "addresses: see Broker → Connect your code…"
    )


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
