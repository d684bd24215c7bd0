"""Where a NATS JetStream cluster is and how to log in to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.client.errors import InvalidInput

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


@dataclass(frozen=True, slots=True)
class JetStreamSettings:
    """A NATS server or cluster and the credentials to use (secrets are held only in memory).

    At most one way of logging in is used: a ``.creds`` file's contents (JWT and NKey seed), an
    NKey seed, a token, or a user and password; with none, the connection is anonymous. Secrets
    are held as text (read from a file or the keyring), so no file needs to stay on disk.

    Attributes:
        servers: ``nats://`` or ``tls://`` URLs of one or more servers of the cluster; the client
            connects to one and fails over to the others.
        user, password: a user of the server's ``authorization`` block.
        token: an authorization token.
        creds: the text of a ``.creds`` file (decentralised auth: a user JWT and its seed).
        nkey_seed: an NKey user seed (``SU…``).
        creds_source: where ``creds`` or ``nkey_seed`` was read from, for people ("" if
            nowhere).
        ca_file: PEM of the CA to trust for TLS; "" trusts the system's roots (TLS is used when
            a URL says ``tls://`` or a CA is given).
    """

    servers: tuple[str, ...]
    user: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    creds: str = field(default="", repr=False)
    nkey_seed: str = field(default="", repr=False)
    creds_source: str = ""
    ca_file: str = ""

    def __post_init__(self) -> None:
        if not self.servers:
            raise InvalidInput("give at least one NATS server URL, e.g. " + DEFAULT_NATS_URL)
        ways = [bool(self.user), bool(self.token), bool(self.creds), bool(self.nkey_seed)]
        if sum(ways) > 1:
            raise InvalidInput(
                "give one way of logging in: a user and password, a token, a .creds file or "
                "an NKey seed"
            )

    @property
    def auth_kind(self) -> str:
        """How the connection logs in: "creds", "nkey", "token", "user" or "none"."""
        if self.creds:
            return "creds"
        if self.nkey_seed:
            return "nkey"
        if self.token:
            return "token"
        return "user" if self.user else "none"

    @property
    def tls(self) -> bool:
        """True when the connection uses TLS."""
        return bool(self.ca_file) or any(url.startswith("tls://") for url in self.servers)

    @property
    def address(self) -> str:
        """The servers, comma-separated, for people."""
        return ",".join(self.servers)


def parse_servers(text: str) -> tuple[str, ...]:
    """Server URLs from ``URL[,URL…]`` (``host:port`` alone means ``nats://host:port``).

    Raises:
        InvalidInput: if no URL is given or one is not ``nats://``, ``tls://`` or ``host:port``.
    """
    servers: list[str] = []
    for part in text.split(","):
        url = part.strip()
        if not url:
            continue
        if "://" not in url:
            url = "nats://" + url
        scheme, _, rest = url.partition("://")
        if scheme not in ("nats", "tls") or not rest:
            raise InvalidInput(f"{part.strip()!r} is not a NATS URL (nats://host:port)")
        servers.append(url)
    if not servers:
        raise InvalidInput("give at least one NATS server URL, e.g. " + DEFAULT_NATS_URL)
    return tuple(servers)


STREAM_NAME_HINT = "Letters, digits, '-' and '_' (no '.', '*', '>', '/', '\\' or spaces)."


def validate_stream_name(name: str) -> str:
    """Return ``name`` if it can name a JetStream stream (and so a topic there).

    Raises:
        InvalidInput: if it is empty, longer than 255 characters, or holds ``.``, ``*``, ``>``,
            ``/``, ``\\`` or whitespace (which subjects and the JetStream API reserve).
    """
    if not name or len(name) > 255 or any(c in name for c in ".*> \t\r\n/\\"):
        raise InvalidInput(f"{name!r} cannot name a JetStream stream: {STREAM_NAME_HINT}")
    return name


def subject_matches(pattern: str, subject: str) -> bool:
    """True if ``subject`` matches a NATS subject ``pattern`` (``*``: one token, ``>``: one
    or more tokens at the end)."""
    want, have = pattern.split("."), subject.split(".")
    for index, token in enumerate(want):
        if token == ">":
            return len(have) > index
        if index >= len(have) or (token != "*" and token != have[index]):
            return False
    return len(have) == len(want)
