"""The broker connection of the headless commands (``produce``, ``profile``): flags, credentials,
the topic by name, and one-line failures.

With no ``--endpoint`` a command uses this user's running embedded broker and the workbench's own
key; otherwise it logs in with ``ENSIGN_CLIENT_ID``/``ENSIGN_CLIENT_SECRET`` or ``--cred-path``
(the names and file pyensign reads), over TLS (``--ca-file`` to trust a certificate) or, on
loopback only, ``--insecure`` plaintext.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from change_capture.connection import UsageError as UsageError  # the commands catch it here
from change_capture.connection import credentials, is_loopback
from workbench.client.broker_client import BrokerClient
from workbench.client.broker_rules import validate_topic_name
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.errors import ClientError, InvalidInput
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


def connection_settings(args: argparse.Namespace) -> ConnectionSettings:
    """How to reach the broker the flags name.

    Raises:
        UsageError: for flags that do not go together, or missing or unreadable credentials.
        NotRunning: without ``--endpoint``, when this user's embedded broker is not running.
    """
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
    settings: ConnectionSettings, name: str, create: bool | None = None
) -> tuple[BrokerClient, bytes]:
    """Log in, and find the project's topic called ``name`` (created if ``create``; None for a
    command that never creates one, whose error then suggests nothing).

    Returns:
        The logged-in client (close it when done) and the topic's id.

    Raises:
        UsageError: if the broker refuses the key or cannot be reached, or there is no such
            topic (and ``create`` is false).
    """
    if create:
        try:
            validate_topic_name(name)
        except InvalidInput as exc:  # the name's own problem, before any broker is asked
            raise UsageError(f"--topic {name!r}: {exc}") from None
    client = BrokerClient(settings)
    try:
        await client.login()
        for topic in await client.topics():
            if topic.name == name:
                return client, topic.id
        if create is None:
            raise UsageError(f"the project has no topic {name!r}")
        if not create:
            raise UsageError(f"the project has no topic {name!r}; add --create-topic to create it")
        return client, await client.create_topic(name)
    except ClientError as exc:
        await client.close()
        raise UsageError(f"cannot use the broker at {settings.grpc_address}: {exc}") from None
    except BaseException:
        await client.close()
        raise


def fail(command: str, reason: str, status: int) -> int:
    """Say why ``ensign-workbench COMMAND`` failed, in one line on stderr; return ``status``."""
    print(f"ensign-workbench {command}: {reason}", file=sys.stderr)
    return status
