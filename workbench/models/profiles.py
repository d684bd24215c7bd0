"""Connection profiles: the embedded broker, and remote brokers a user adds.

A remote profile is of one of two kinds: an Ensign broker (a gRPC address, an auth URL and an
API key) or a NATS JetStream cluster (server URLs and, optionally, a user and password, a
token, or a ``.creds``/NKey seed file). The profile list is a JSON file in the workbench's
config directory; secrets (ClientSecrets, NATS passwords and tokens, and the text of ``.creds``
and NKey seed files) are kept in the secret store (OS keyring or a 0600 file), never in this
file or in QSettings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from platformdirs import user_config_path

from workbench.client.clients import AnySettings
from workbench.client.connection_settings import ConnectionSettings
from workbench.client.jetstream_settings import JetStreamSettings, parse_servers
from workbench.models.secret_store import SecretStore

EMBEDDED = "Embedded broker"
ENSIGN = "Ensign"
NATS_JETSTREAM = "NATS JetStream"
KINDS = (ENSIGN, NATS_JETSTREAM)
"""The kinds of remote profile."""
NATS_AUTH = ("none", "user", "token", "creds", "nkey")
"""How a NATS JetStream profile logs in: anonymously, a user and password, a token, a
``.creds`` file or an NKey seed file."""


def config_dir() -> Path:
    """The workbench's config directory (``$ENSIGN_WORKBENCH_CONFIG_DIR`` overrides it)."""
    override = os.environ.get("ENSIGN_WORKBENCH_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    return user_config_path("ensign-workbench", appauthor=False)


@dataclass(frozen=True, slots=True)
class Profile:
    """A broker to connect to (without its secret)."""

    name: str
    grpc_address: str = ""
    auth_url: str = ""
    client_id: str = ""
    tls: bool = False
    ca_file: str = ""
    embedded: bool = False
    kind: str = ENSIGN
    """:data:`ENSIGN` or :data:`NATS_JETSTREAM`."""
    nats_servers: str = ""
    """A NATS JetStream profile's server URLs, comma-separated."""
    nats_auth: str = "none"
    """How a NATS JetStream profile logs in (one of :data:`NATS_AUTH`)."""
    nats_user: str = ""
    """The NATS user (``nats_auth`` "user")."""
    creds_file: str = ""
    """Where the ``.creds`` or NKey seed file was read from (its text is in the secret store)."""

    @property
    def is_nats(self) -> bool:
        """True for a NATS JetStream profile."""
        return self.kind == NATS_JETSTREAM

    @property
    def needs_secret(self) -> bool:
        """True when connecting needs a stored secret (all but an anonymous NATS login)."""
        return not (self.is_nats and self.nats_auth == "none")

    @property
    def secret_name(self) -> str:
        """The secret store's name for this profile's secret (a ClientSecret; a NATS
        password, token, or ``.creds``/NKey seed text)."""
        if self.is_nats:
            return f"profile:{self.name}:nats:{self.nats_auth}:{self.nats_user}"
        return f"profile:{self.name}:{self.client_id}"

    def settings(self, secret: str) -> AnySettings:
        """Connection settings with the secret filled in.

        Raises:
            OSError: if the CA file cannot be read.
            InvalidInput: if a NATS profile's server URLs are malformed.
        """
        if self.is_nats:
            return self._jetstream_settings(secret)
        ca = Path(self.ca_file).expanduser().read_bytes() if self.ca_file else None
        return ConnectionSettings(
            self.grpc_address,
            self.auth_url,
            self.client_id,
            secret,
            self.tls,
            ca,
            str(Path(self.ca_file).expanduser()) if self.ca_file else "",
        )

    def _jetstream_settings(self, secret: str) -> JetStreamSettings:
        ca_file = str(Path(self.ca_file).expanduser()) if self.ca_file else ""
        if ca_file and not Path(ca_file).is_file():
            raise FileNotFoundError(f"no CA file {ca_file}")
        auth = self.nats_auth
        return JetStreamSettings(
            parse_servers(self.nats_servers),
            user=self.nats_user if auth == "user" else "",
            password=secret if auth == "user" else "",
            token=secret if auth == "token" else "",
            creds=secret if auth == "creds" else "",
            nkey_seed=secret.strip() if auth == "nkey" else "",
            creds_source=self.creds_file,
            ca_file=ca_file,
        )


@dataclass
class ProfileStore:
    """The saved profiles; the embedded broker's profile always exists and comes first."""

    path: Path
    secrets: SecretStore
    profiles: list[Profile] = field(default_factory=list)

    @classmethod
    def open(cls, directory: Path, secrets: SecretStore) -> ProfileStore:
        """Load the profiles kept in ``directory``."""
        path = directory / "profiles.json"
        store = cls(path, secrets)
        try:
            raw = json.loads(path.read_text())
            store.profiles = [Profile(**entry) for entry in raw if not entry.get("embedded")]
        except (FileNotFoundError, ValueError, TypeError):
            store.profiles = []
        return store

    def all(self) -> list[Profile]:
        """Every profile, the embedded broker first."""
        return [Profile(EMBEDDED, embedded=True), *self.profiles]

    def get(self, name: str) -> Profile | None:
        """A profile by name."""
        return next((p for p in self.all() if p.name == name), None)

    def save(self, profile: Profile, secret: str | None) -> None:
        """Add or replace a remote profile; store its secret when given.

        Raises:
            ValueError: for the built-in profile's name, or no name.
        """
        self.replace(profile.name, profile, secret)

    def replace(self, old_name: str, profile: Profile, secret: str | None) -> None:
        """Save ``profile`` in place of the profile called ``old_name`` (an edit, which may
        rename it), or as a new one if there is none; ``secret`` None keeps the stored one.

        Raises:
            ValueError: for the built-in profile's name, no name, or the name of another
                profile.
        """
        if profile.embedded or profile.name == EMBEDDED:
            raise ValueError(f"{EMBEDDED!r} is the built-in profile; choose another name")
        if not profile.name.strip():
            raise ValueError("a profile needs a name")
        if profile.name != old_name and self.get(profile.name) is not None:
            raise ValueError(f"a profile called {profile.name!r} exists; choose another name")
        old = self.get(old_name)
        if old is not None and secret is None:
            secret = self.secret(old)
        if old is not None and old.secret_name != profile.secret_name:
            self.secrets.delete(old.secret_name)
        names = [p.name for p in self.profiles]
        if old_name in names:
            self.profiles[names.index(old_name)] = profile
        else:
            self.profiles.append(profile)
        if secret is not None:
            self.secrets.put(profile.secret_name, secret)
        self._write()

    def copy_name(self, name: str) -> str:
        """A free name for a copy of the profile called ``name``: "name (copy)", "name (copy 2)"."""
        candidate, number = f"{name} (copy)", 1
        while self.get(candidate) is not None:
            number += 1
            candidate = f"{name} (copy {number})"
        return candidate

    def remove(self, name: str) -> None:
        """Forget a remote profile and its secret."""
        old = self.get(name)
        if old is not None and not old.embedded:
            self.secrets.delete(old.secret_name)
            self.profiles = [p for p in self.profiles if p.name != name]
            self._write()

    def secret(self, profile: Profile) -> str | None:
        """A profile's ClientSecret, if stored."""
        return self.secrets.get(profile.secret_name)

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps([asdict(p) for p in self.profiles], indent=2))
