"""Who is calling: bearer tokens checked on every call, and the permissions they carry."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc

from embedded_broker.api.errors import PermissionDenied, Unauthenticated, abort
from embedded_broker.auth.api_keys import KeyStore
from embedded_broker.auth.permissions import Permission
from embedded_broker.auth.tokens import Claims, InvalidToken, TokenIssuer
from embedded_broker.core.errors import BrokerError
from embedded_broker.core.ids import parse_ulid

_VERIFIED_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class Caller:
    """The API key behind a call, as its access token describes it."""

    key_id: bytes
    project_id: bytes
    permissions: frozenset[Permission]
    expires: int

    def can(self, permission: Permission) -> bool:
        """True if the key holds ``permission`` (``broker:admin`` holds every one)."""
        return permission in self.permissions or Permission.BROKER_ADMIN in self.permissions

    def require(self, *permissions: Permission) -> None:
        """Raise unless the key holds one of ``permissions``.

        Raises:
            PermissionDenied: naming what is missing.
        """
        if not any(self.can(p) for p in permissions):
            names = " or ".join(repr(p.value) for p in permissions)
            raise PermissionDenied(f"this API key lacks the {names} permission")

    def require_project(self, project_id: bytes) -> None:
        """Raise unless the call stays in the key's project (or the key is a broker admin).

        Raises:
            PermissionDenied: for another project.
        """
        if project_id != self.project_id and Permission.BROKER_ADMIN not in self.permissions:
            raise PermissionDenied("this API key belongs to another project")


class Authorizer:
    """Checks a call's ``authorization: Bearer <token>`` metadata.

    The token's signature, type and expiry are verified (signatures are cached, expiry is
    checked every time), and a revoked key's tokens stop working as soon as ``auth.db`` says so.
    """

    def __init__(self, tokens: TokenIssuer, keys: KeyStore) -> None:
        self._tokens = tokens
        self._keys = keys
        self._verified: OrderedDict[str, Claims] = OrderedDict()

    def caller(self, metadata: Iterable[tuple[str, Any]] | None) -> Caller:
        """The caller named by a call's metadata.

        Raises:
            Unauthenticated: without a bearer token.
            InvalidToken: for a forged, expired or revoked token.
        """
        token = _bearer(metadata)
        claims = self._verified.get(token)
        if claims is None:
            claims = self._tokens.verify(token)
            self._verified[token] = claims
            if len(self._verified) > _VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        elif time.time() >= claims.expires:
            del self._verified[token]
            raise InvalidToken("token has expired; authenticate again")
        caller = Caller(
            parse_ulid(claims.key_id),
            parse_ulid(claims.project_id),
            claims.permissions,
            claims.expires,
        )
        self.check_active(caller)
        return caller

    def check_active(self, caller: Caller) -> None:
        """Raise if the caller's key was revoked (long streams call this now and then).

        Raises:
            InvalidToken: once the key is revoked.
        """
        if caller.key_id in self._keys.revoked_ids():
            raise InvalidToken("the API key was revoked")

    async def authorize(
        self, context: grpc.aio.ServicerContext[Any, Any], *permissions: Permission
    ) -> Caller:
        """The caller, holding one of ``permissions``; otherwise end the call with
        UNAUTHENTICATED or PERMISSION_DENIED."""
        try:
            caller = self.caller(context.invocation_metadata())
            if permissions:
                caller.require(*permissions)
        except BrokerError as exc:
            await abort(context, exc)
        return caller


def _bearer(metadata: Iterable[tuple[str, Any]] | None) -> str:
    for key, value in metadata or ():
        if key == "authorization":
            text = value.decode() if isinstance(value, bytes) else str(value)
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            raise Unauthenticated("the authorization metadata must be 'Bearer <access token>'")
    raise Unauthenticated(
        "no access token: authenticate at the broker's auth URL and send "
        "'authorization: Bearer <access token>'"
    )
