"""Signed short-lived access tokens (JWT, EdDSA/Ed25519) and refresh tokens.

Argon2 is too slow to run on every call, so a client authenticates once and receives an access
token that each RPC verifies cheaply: signature, algorithm, issuer, expiry and not-before.
PyJWT signs and verifies; this module fixes the algorithm, the claims and the messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

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
_REQUIRED_CLAIMS = ["iss", "sub", "project", "permissions", "iat", "nbf", "exp", "token"]

# What each refusal says, most specific first: InvalidSignatureError is a DecodeError, and
# every PyJWT refusal is an InvalidTokenError.
_REFUSALS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.InvalidAlgorithmError, f"token algorithm must be {_ALGORITHM}"),
    (jwt.InvalidSignatureError, "token signature is invalid"),
    (jwt.ExpiredSignatureError, "token has expired; authenticate again"),
    (jwt.ImmatureSignatureError, "token is not valid yet"),
    (jwt.MissingRequiredClaimError, "token claims are incomplete"),
    (jwt.InvalidIssuerError, "token was issued by another service"),
    (jwt.DecodeError, "malformed token"),
    (jwt.InvalidTokenError, "token claims are invalid"),
)


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
        self._jwk = OKPAlgorithm.to_jwk(self._public, as_dict=True)  # kty, crv and x
        # The key id is the first 12 bytes of the public key, base64url (16 characters).
        self.key_id = str(self._jwk["x"])[:16]
        self._issuer = issuer

    def issue(self, key: ApiKey, now: float | None = None) -> tuple[str, str]:
        """Return a new (access token, refresh token) pair for an authenticated key.

        Args:
            key: the authenticated API key the tokens speak for.
            now: the issue time in seconds since the epoch (the current time if omitted).
        """
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
        refresh = self._sign({**base, "exp": issued + REFRESH_TTL_S, "token": "refresh"})
        return access, refresh

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM, headers={"kid": self.key_id})

    def verify(self, token: str, refresh: bool = False) -> Claims:
        """Verify a token's algorithm, signature, issuer, type and validity period (now).

        Args:
            token: the compact JWT.
            refresh: expect a refresh token rather than an access token.

        Raises:
            InvalidToken: saying what is wrong (malformed, bad signature, expired ...).
        """
        try:
            claims = jwt.decode(
                token,
                self._public,
                algorithms=[_ALGORITHM],  # fixed: never taken from the token's own header
                issuer=self._issuer,
                leeway=_LEEWAY_S,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as error:
            raise InvalidToken(_refusal(error)) from None
        if claims["token"] != ("refresh" if refresh else "access"):
            raise InvalidToken(f"expected {'a refresh' if refresh else 'an access'} token")
        try:
            permissions = frozenset(Permission(p) for p in claims["permissions"])
            return Claims(
                str(claims["sub"]), str(claims["project"]), permissions, int(claims["exp"]), refresh
            )
        except (ValueError, TypeError):
            raise InvalidToken("token claims are invalid") from None

    def jwks(self) -> dict[str, Any]:
        """The public key as a JSON Web Key Set, for ``/.well-known/jwks.json``."""
        return {"keys": [{**self._jwk, "alg": _ALGORITHM, "use": "sig", "kid": self.key_id}]}


def _refusal(error: jwt.InvalidTokenError) -> str:
    return next(message for kind, message in _REFUSALS if isinstance(error, kind))
