"""The broker connection of the headless commands (``produce``, ``profile``): flags, credentials,
the topic by name, and one-line failures.

With no ``--endpoint`` a command uses this user's running embedded broker and the workbench's own
key; otherwise it logs in with ``ENSIGN_CLIENT_ID``/``ENSIGN_CLIENT_SECRET`` or ``--cred-path``
(the names and file pyensign reads), over TLS (``--ca-file`` to trust a certificate) or, on
loopback only, ``--insecure`` plaintext. With ``--nats URL[,URL…]`` it uses a NATS JetStream
cluster instead, a topic being a stream, logging in with ``--nats-creds FILE``, ``--nats-nkey
FILE``, ``--nats-user``/``--nats-password`` (or ``$NATS_PASSWORD``) or ``$NATS_TOKEN``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from change_capture.connection import UsageError as UsageError  # the commands catch it here
from change_capture.connection import credentials, is_loopback
from workbench.client.broker_rules import validate_topic_name
from workbench.client.clients import AnySettings, client_for, settings_address
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import ClientError, InvalidInput
from workbench.client.jetstream_settings import JetStreamSettings, parse_servers
from workbench.client.stream_client import StreamClient
from workbench.models.embedded_connection import embedded_connection


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the connection flags to a command's parser."""
    conn = parser.add_argument_group("connection (default: this user's embedded broker)")
    conn.add_argument("--endpoint", metavar="HOST:PORT", help="the broker's gRPC address")
    conn.add_argument("--auth-url", metavar="URL", help="the broker's auth URL")
    conn.add_argument("--insecure", action="store_true", help="plaintext (loopback only)")
    conn.add_argument("--ca-file", type=Path, metavar="PEM", help="CA to trust for TLS")
    conn.add_argument("--cred-path", type=Path, metavar="FILE", help='{"ClientID", "ClientSecret"}')
    conn.add_argument("--data-dir", type=Path, help="the embedded broker's data directory")
    nats = parser.add_argument_group("NATS JetStream (instead of an Ensign broker)")
    nats.add_argument("--nats", metavar="URL[,URL...]", help="servers of a JetStream cluster")
    nats.add_argument("--nats-creds", type=Path, metavar="FILE", help="a .creds file")
    nats.add_argument("--nats-nkey", type=Path, metavar="FILE", help="a file with an NKey seed")
    nats.add_argument("--nats-user", metavar="USER", help="a user (password: --nats-password)")
    nats.add_argument(
        "--nats-password", metavar="PASSWORD", help="the user's password (or $NATS_PASSWORD)"
    )
    nats.add_argument("--nats-ca-file", type=Path, metavar="PEM", help="CA to trust for TLS")


_ENSIGN_FLAGS = ("endpoint", "auth_url", "insecure", "ca_file", "cred_path", "data_dir")
_NATS_FLAGS = ("nats_creds", "nats_nkey", "nats_user", "nats_password", "nats_ca_file")


def jetstream_settings(args: argparse.Namespace) -> JetStreamSettings:
    """The NATS JetStream cluster ``--nats`` names, with its credentials.

    Raises:
        UsageError: for Ensign flags beside ``--nats``, two ways of logging in, or an
            unreadable credentials file.
    """
    given = [f"--{f.replace('_', '-')}" for f in _ENSIGN_FLAGS if getattr(args, f, None)]
    if given:
        raise UsageError(f"{', '.join(given)} name an Ensign broker; drop them with --nats")
    password = args.nats_password or os.environ.get("NATS_PASSWORD", "")
    if password and not args.nats_user:
        raise UsageError("--nats-password needs --nats-user")
    creds = _read_secret(args.nats_creds, "--nats-creds")
    seed = _read_secret(args.nats_nkey, "--nats-nkey").strip()
    source = str(args.nats_creds or args.nats_nkey or "")
    try:
        return JetStreamSettings(
            parse_servers(args.nats),
            user=args.nats_user or "",
            password=password if args.nats_user else "",
            token=os.environ.get("NATS_TOKEN", "") if not (args.nats_user or creds or seed) else "",
            creds=creds,
            nkey_seed=seed,
            creds_source=source,
            ca_file=str(args.nats_ca_file or ""),
        )
    except InvalidInput as exc:
        raise UsageError(str(exc)) from None


def _read_secret(path: Path | None, flag: str) -> str:
    if path is None:
        return ""
    try:
        return path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read {flag} {path}: {exc.strerror}") from None


def connection_settings(args: argparse.Namespace) -> AnySettings:
    """How to reach the broker the flags name (a JetStream cluster with ``--nats``).

    Raises:
        UsageError: for flags that do not go together, or missing or unreadable credentials.
        NotRunning: without ``--endpoint`` or ``--nats``, when this user's embedded broker is
            not running.
    """
    if getattr(args, "nats", None):
        return jetstream_settings(args)
    given = [f"--{f.replace('_', '-')}" for f in _NATS_FLAGS if getattr(args, f, None)]
    if given:
        raise UsageError(f"{', '.join(given)} need --nats URL")
    if not args.endpoint:
        if args.auth_url or args.insecure or args.ca_file:
            raise UsageError("--auth-url, --insecure and --ca-file need --endpoint")
        from embedded_broker.config import default_data_dir
        from workbench.models.profiles import config_dir
        from workbench.models.secret_store import open_secret_store

        data_dir = args.data_dir or default_data_dir()
        return embedded_connection(data_dir, open_secret_store(config_dir() / "secrets.json"))
    if not args.auth_url:
        raise UsageError("--endpoint needs --auth-url (the broker's authentication URL)")
    host = args.endpoint.rsplit(":", 1)[0].strip("[]")
    if args.insecure and not is_loopback(host):
        raise UsageError("--insecure (plaintext) is allowed on loopback only; use TLS")
    client_id, secret = credentials(args.cred_path)
    ca = None
    if args.ca_file:
        try:
            ca = args.ca_file.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read --ca-file: {exc.strerror}") from None
    return ConnectionSettings(
        args.endpoint, args.auth_url.rstrip("/"), client_id, secret, not args.insecure, ca
    )


async def open_topic(
    settings: AnySettings, name: str, create: bool | None = None, replicas: int = 1
) -> tuple[StreamClient, bytes]:
    """Log in, and find the project's topic (or the cluster's stream) called ``name``, created
    with ``replicas`` copies if ``create`` (None for a command that never creates one, whose
    error then suggests nothing).

    Returns:
        The logged-in client (close it when done) and the topic's id.

    Raises:
        UsageError: if the broker refuses the key or cannot be reached, or there is no such
            topic (and ``create`` is false).
    """
    client = client_for(settings)
    where = "the cluster has no stream" if client.kind != "Ensign" else "the project has no topic"
    if create and client.kind == "Ensign":
        try:
            validate_topic_name(name)
        except InvalidInput as exc:  # the name's own problem, before any broker is asked
            await client.close()
            raise UsageError(f"--topic {name!r}: {exc}") from None
    try:
        await client.login()
        for topic in await client.topics():
            if topic.name == name:
                return client, topic.id
        if create is None:
            raise UsageError(f"{where} {name!r}")
        if not create:
            raise UsageError(f"{where} {name!r}; add --create-topic to create it")
        return client, await client.create_topic(name, replicas=replicas)
    except ClientError as exc:
        await client.close()
        address = settings_address(settings)
        raise UsageError(f"cannot use the broker at {address}: {exc}") from None
    except BaseException:
        await client.close()
        raise


def fail(command: str, reason: str, status: int) -> int:
    """Say why ``ensign-workbench COMMAND`` failed, in one line on stderr; return ``status``."""
    print(f"ensign-workbench {command}: {reason}", file=sys.stderr)
    return status
