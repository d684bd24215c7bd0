"""What a user's own code needs to reach a broker: pyensign snippets, a ``.env`` file and a
credentials JSON, written for one broker's endpoint, auth URL and TLS settings.

pyensign (0.12) reads ``ENSIGN_CLIENT_ID`` and ``ENSIGN_CLIENT_SECRET`` from the environment, and
a ``cred_path`` JSON file with ``ClientID`` and ``ClientSecret``; it does not read an endpoint or
auth URL from anywhere, so snippets pass them (the ``.env`` file holds them as
``ENSIGN_ENDPOINT`` and ``ENSIGN_AUTH_URL`` for code to read). Over TLS pyensign trusts gRPC's
and Python's default roots: for a broker's own certificate the snippets point
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` (read by gRPC) and ``SSL_CERT_FILE`` (read by Python's
``ssl``, used for the login) at its CA file.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from pathlib import Path

from workbench.client.connection_settings import ConnectionSettings
from workbench.models.private_files import write_private_text

CA_VARIABLES = ("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "SSL_CERT_FILE")
"""Where gRPC and Python's ``ssl`` look for the CA to trust, when set."""


def tls_mode(settings: ConnectionSettings) -> str:
    """How the broker is reached, in words: plaintext on loopback, or TLS and whom it trusts."""
    if not settings.tls:
        return "plaintext (allowed on loopback only): insecure=True"
    if settings.ca_file:
        return "TLS, trusting the broker's own certificate (the CA file)"
    return "TLS, trusting the system's certificate authorities"


def env_lines(
    settings: ConnectionSettings, client_id: str = "", client_secret: str = ""
) -> list[str]:
    """``NAME=value`` lines for a key and this broker (placeholders for a missing key), each
    value quoted as a POSIX shell and dotenv loaders both read it."""
    values = [
        ("ENSIGN_CLIENT_ID", client_id or "<your ClientID>"),
        ("ENSIGN_CLIENT_SECRET", client_secret or "<your ClientSecret>"),
        ("ENSIGN_ENDPOINT", settings.grpc_address),
        ("ENSIGN_AUTH_URL", settings.auth_url),
    ]
    if settings.tls and settings.ca_file:
        values += [(name, settings.ca_file) for name in CA_VARIABLES]
    return [f"{name}={shlex.quote(value)}" for name, value in values]


def env_file(
    settings: ConnectionSettings, client_id: str, client_secret: str, about: str = ""
) -> str:
    """A ``.env`` file for a key: what pyensign reads by itself, and what code passes it.

    Args:
        settings: the broker (its endpoint, auth URL, TLS and CA file).
        client_id: the key's ClientID.
        client_secret: its ClientSecret.
        about: a line naming the key and project, written as the first comment.
    """
    header = [f"# {about}"] if about else []
    header += [
        "# pyensign reads ENSIGN_CLIENT_ID and ENSIGN_CLIENT_SECRET by itself. It does not read",
        "# the endpoint or auth URL: pass them, e.g. Ensign(endpoint=os.environ[",
        '# "ENSIGN_ENDPOINT"], auth_url=os.environ["ENSIGN_AUTH_URL"]'
        + (")." if settings.tls else ", insecure=True)."),
    ]
    if settings.tls and settings.ca_file:
        header.append("# The last two make gRPC and Python's ssl trust this broker's certificate.")
    return "\n".join([*header, *env_lines(settings, client_id, client_secret)]) + "\n"


def credentials_json(client_id: str, client_secret: str) -> str:
    """The credentials file pyensign's ``Ensign(cred_path=...)`` reads."""
    return json.dumps({"ClientID": client_id, "ClientSecret": client_secret}, indent=2) + "\n"


def save_env_file(
    path: Path, settings: ConnectionSettings, client_id: str, client_secret: str, about: str = ""
) -> None:
    """Write :func:`env_file` to ``path``, readable only by its owner (0600).

    Raises:
        OSError: if it cannot be written.
    """
    write_private_text(path, env_file(settings, client_id, client_secret, about))


def save_credentials_json(path: Path, client_id: str, client_secret: str) -> None:
    """Write :func:`credentials_json` to ``path``, readable only by its owner (0600).

    Raises:
        OSError: if it cannot be written.
    """
    write_private_text(path, credentials_json(client_id, client_secret))


def pyensign_snippet(
    settings: ConnectionSettings,
    client_id: str = "",
    client_secret: str = "",
    permissions: Iterable[str] = ("topics:read",),
) -> str:
    """A Python program that connects pyensign to this broker and shows that it works.

    With a ClientID and ClientSecret the program carries them (ready to run); without, pyensign
    takes them from ``ENSIGN_CLIENT_ID`` and ``ENSIGN_CLIENT_SECRET``. It lists the project's
    topics if ``permissions`` include ``topics:read``, else asks the broker's status.
    """
    lines = ["import asyncio"]
    if settings.tls and settings.ca_file:
        lines += [
            "import os",
            "",
            "# Trust this broker's own certificate (pyensign uses gRPC's and Python's defaults).",
            *(f"os.environ[{name!r}] = {settings.ca_file!r}" for name in CA_VARIABLES),
        ]
    lines += ["", "from pyensign.ensign import Ensign", "", "", "async def main():"]
    if client_id:
        lines += [
            "    ens = Ensign(",
            f"        client_id={client_id!r},",
            f"        client_secret={client_secret!r},",
        ]
    else:
        lines += [
            "    # pyensign reads ENSIGN_CLIENT_ID and ENSIGN_CLIENT_SECRET from the environment",
            "    ens = Ensign(",
        ]
    lines += [
        f"        endpoint={settings.grpc_address!r},",
        f"        auth_url={settings.auth_url!r},",
    ]
    if not settings.tls:
        lines.append("        insecure=True,  # plaintext: the broker listens on loopback only")
    lines.append("    )")
    if "topics:read" in set(permissions):
        lines += [
            "    topics = await ens.get_topics()",
            '    print("connected; topics:", ", ".join(t.name for t in topics) or "none yet")',
        ]
    else:
        lines += ["    status = await ens.status()", '    print("connected; broker", status)']
    lines += ["    await ens.close()", "", "", "asyncio.run(main())"]
    return "\n".join(lines) + "\n"


def shell_exports(settings: ConnectionSettings) -> str:
    """``export`` lines for a POSIX shell (the key's values left as placeholders)."""
    return "\n".join(f"export {line}" for line in env_lines(settings)) + "\n"
