"""Where a broker is and how to log in to it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """A broker's addresses and the API key to use (the secret is held only in memory)."""

    grpc_address: str
    auth_url: str
    client_id: str
    client_secret: str
    tls: bool = False
    ca_certificate: bytes | None = None
    """PEM of the CA (or self-signed certificate) to trust; None trusts the system's roots."""
    ca_file: str = ""
    """Where ``ca_certificate`` was read from ("" if from nowhere), for code a user runs."""
