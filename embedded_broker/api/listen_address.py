"""Listen addresses: parsing ``HOST:PORT`` and deciding when TLS is required."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from embedded_broker.core.errors import InvalidArgument

DEFAULT_GRPC = "127.0.0.1:5356"
DEFAULT_AUTH = "127.0.0.1:5357"


@dataclass(frozen=True, slots=True)
class ListenAddress:
    """A host and port to bind."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        """Parse ``HOST:PORT`` (``[::1]:5356`` for IPv6; port 0 picks a free one).

        Raises:
            InvalidArgument: if it is not of that form.
        """
        host, sep, port = text.strip().rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise InvalidArgument(f"{text!r} is not a HOST:PORT address (e.g. 127.0.0.1:5356)")
        return cls(host, int(port))

    @property
    def is_loopback(self) -> bool:
        """True for addresses only this machine can reach."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def with_port(self, port: int) -> ListenAddress:
        """The same host with another port (the one actually bound)."""
        return ListenAddress(self.host, port)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
