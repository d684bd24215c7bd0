"""Which broker a capture publishes to, and with which key: the flags of ``ensign-workbench
produce`` (``--endpoint``, ``--auth-url``, ``--insecure``, ``--ca-file``, ``--cred-path``,
``--data-dir``).

Without ``--endpoint`` the capture goes to this user's embedded broker: where its ``serve.json``
says it listens (in ``--data-dir``, or the broker's default data directory), else Ensign's usual
local ports. The key comes from ``ENSIGN_CLIENT_ID``/``ENSIGN_CLIENT_SECRET`` or ``--cred-path``
(``{"ClientID", "ClientSecret"}``: what pyensign reads).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
from pathlib import Path

from change_capture.broker_link import BrokerAddress
from embedded_broker.config import default_data_dir

LOCAL_GRPC = "127.0.0.1:5356"
LOCAL_AUTH = "http://127.0.0.1:5357"
SERVE_FILE = "serve.json"


class UsageError(Exception):
    """A command line, credentials or connection problem: exit status 2."""


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the connection flags to a command's parser."""
    conn = parser.add_argument_group("broker (default: this user's embedded broker)")
    conn.add_argument("--endpoint", metavar="HOST:PORT", help="the broker's gRPC address")
    conn.add_argument("--auth-url", metavar="URL", help="the broker's auth URL")
    conn.add_argument("--insecure", action="store_true", help="plaintext (loopback only)")
    conn.add_argument("--ca-file", type=Path, metavar="PEM", help="CA to trust for TLS")
    conn.add_argument(
        "--cred-path",
        type=Path,
        metavar="FILE",
        help='{"ClientID", "ClientSecret"} (default: $ENSIGN_CLIENT_ID, $ENSIGN_CLIENT_SECRET)',
    )
    conn.add_argument("--data-dir", type=Path, help="the embedded broker's data directory")


def broker_address(args: argparse.Namespace) -> BrokerAddress:
    """The broker and key the flags name.

    Raises:
        UsageError: for flags that do not go together, or missing or unreadable credentials.
    """
    client_id, secret = credentials(args.cred_path)
    if not args.endpoint:
        if args.auth_url or args.insecure or args.ca_file:
            raise UsageError("--auth-url, --insecure and --ca-file need --endpoint")
        return _embedded(args.data_dir or default_data_dir(), client_id, secret)
    if not args.auth_url:
        raise UsageError("--endpoint needs --auth-url (the broker's authentication URL)")
    host = args.endpoint.rsplit(":", 1)[0].strip("[]")
    if args.insecure and not is_loopback(host):
        raise UsageError("--insecure (plaintext) is allowed on loopback only; use TLS")
    ca = None
    if args.ca_file:
        try:
            ca = args.ca_file.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read --ca-file: {exc.strerror}") from None
    return BrokerAddress(
        args.endpoint, args.auth_url.rstrip("/"), client_id, secret, not args.insecure, ca
    )


def _embedded(data_dir: Path, client_id: str, secret: str) -> BrokerAddress:
    """Where the embedded broker of ``data_dir`` listens (its ``serve.json``), else the usual
    local ports."""
    try:
        info = json.loads((data_dir / SERVE_FILE).read_text())
        certificate = info.get("tls_certificate")
        ca = Path(certificate).read_bytes() if certificate else None
        return BrokerAddress(
            str(info["grpc_address"]),
            str(info["auth_url"]),
            client_id,
            secret,
            bool(info.get("tls")),
            ca,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return BrokerAddress(LOCAL_GRPC, LOCAL_AUTH, client_id, secret)


def credentials(cred_path: Path | None) -> tuple[str, str]:
    """The key from ``--cred-path``, else from ``ENSIGN_CLIENT_ID``/``ENSIGN_CLIENT_SECRET``.

    Raises:
        UsageError: if the file cannot be read or holds no key, or the variables are unset.
    """
    if cred_path is not None:
        try:
            doc = json.loads(cred_path.read_text())
            return str(doc["ClientID"]), str(doc["ClientSecret"])
        except OSError as exc:
            raise UsageError(f"cannot read --cred-path: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError):
            raise UsageError(
                '--cred-path must be JSON with "ClientID" and "ClientSecret"'
            ) from None
    client_id = os.environ.get("ENSIGN_CLIENT_ID", "")
    secret = os.environ.get("ENSIGN_CLIENT_SECRET", "")
    if not (client_id and secret):
        raise UsageError(
            "no credentials: set ENSIGN_CLIENT_ID and ENSIGN_CLIENT_SECRET, or pass --cred-path"
        )
    return client_id, secret


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (where plaintext is allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
