"""Signed short-lived access tokens (JWT, EdDSA/Ed25519) and refresh tokens.

Argon2 is too slow to run on every call, so a client authenticates once and receives an access
token that each RPC verifies cheaply: signature, algorithm, expiry and not-before.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from embedded_broker.auth.api_keys import ApiKey
from embedded_broker.auth.permissions import Permission
from embedded_broker.core.errors import BrokerError
from embedded_broker.core.ids import ulid_str
from embedded_broker.private_files import write_private_file

SIGNING_KEY_FILE = "token-signing.key"
ACCESS_TTL_S = 60 * 60
REFRESH_TTL_S = 2 * 60 * 60
_ALGORITHM = "EdDSA"
_LEEWAY_S = 5


class InvalidToken(BrokerError):
    """A token is malformed, forged, expired or not yet valid."""


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says."""

    key_id: str
    project_id: str
    permissions: frozenset[Permission]
    expires: int
    refresh: bool


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and verifies tokens with an Ed25519 key kept in a 0600 file."""

    def __init__(self, data_dir: Path, issuer: str = "ensign-workbench") -> None:
        path = data_dir / SIGNING_KEY_FILE
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, Ed25519PrivateKey)
        else:
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            write_private_file(path, pem)
        self._key = key
        self._public = key.public_key()
        raw = self._public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = _b64(raw[:12])
        self._public_raw = raw
        self._issuer = issuer

    def issue(self, key: ApiKey, now: float | None = None) -> tuple[str, str]:
        """Return a new (access token, refresh token) pair for an authenticated key."""
        issued = int(time.time() if now is None else now)
        base = {
            "iss": self._issuer,
            "sub": ulid_str(key.id),
            "project": ulid_str(key.project_id),
            "permissions": sorted(p.value for p in key.permissions),
            "iat": issued,
            "nbf": issued,
        }
        access = self._sign({**base, "exp": issued + ACCESS_TTL_S, "token": "access"})
        # The refresh token becomes usable shortly before the access token expires.
        refresh = self._sign(
            {**base, "exp": issued + REFRESH_TTL_S, "token": "refresh", "nbf": issued}
        )
        return access, refresh

    def _sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": _ALGORITHM, "typ": "JWT", "kid": self.key_id}
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        return signing_input + "." + _b64(self._key.sign(signing_input.encode()))

    def verify(self, token: str, refresh: bool = False, now: float | None = None) -> Claims:
        """Verify a token's algorithm, signature, type and validity period.

        Raises:
            InvalidToken: saying what is wrong (malformed, bad signature, expired ...).
        """
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(claims_b64))
            signature = _unb64(signature_b64)
        except (ValueError, TypeError):
            raise InvalidToken("malformed token") from None
        if not isinstance(header, dict) or header.get("alg") != _ALGORITHM:
            raise InvalidToken(f"token algorithm must be {_ALGORITHM}")
        try:
            self._public.verify(signature, f"{header_b64}.{claims_b64}".encode())
        except InvalidSignature:
            raise InvalidToken("token signature is invalid") from None
        moment = time.time() if now is None else now
        try:
            expires, not_before = int(claims["exp"]), int(claims["nbf"])
            kind = claims["token"]
            permissions = frozenset(Permission(p) for p in claims["permissions"])
            key_id, project_id = str(claims["sub"]), str(claims["project"])
        except (KeyError, ValueError, TypeError):
            raise InvalidToken("token claims are incomplete") from None
        if moment >= expires + _LEEWAY_S:
            raise InvalidToken("token has expired; authenticate again")
        if moment < not_before - _LEEWAY_S:
            raise InvalidToken("token is not valid yet")
        if kind != ("refresh" if refresh else "access"):
            raise InvalidToken(f"expected an {'refresh' if refresh else 'access'} token")
        return Claims(key_id, project_id, permissions, expires, refresh)

    def jwks(self) -> dict[str, Any]:
        """The public key as a JSON Web Key Set, for ``/.well-known/jwks.json``."""
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": _ALGORITHM,
                    "use": "sig",
                    "kid": self.key_id,
                    "x": _b64(self._public_raw),
                }
            ]
        }
