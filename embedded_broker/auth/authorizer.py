"""From a bearer token to a :class:`Caller`: signature, expiry and revocation, on every call."""

from __future__ import annotations

import time
from collections import OrderedDict

from embedded_broker.auth.api_keys import KeyStore
from embedded_broker.auth.caller import Caller
from embedded_broker.auth.tokens import Claims, InvalidToken, TokenIssuer
from embedded_broker.core.errors import Unauthenticated
from embedded_broker.core.ids import parse_ulid

_VERIFIED_CACHE_SIZE = 1024


class Authorizer:
    """Turns an ``authorization: Bearer <token>`` value into the caller it names.

    The token's signature, algorithm and type are verified once and cached (a signature check
    costs tens of microseconds); its expiry is checked on every call; a revoked key's tokens stop
    working as soon as ``auth.db`` records the revocation.
    """

    def __init__(self, tokens: TokenIssuer, keys: KeyStore) -> None:
        self._tokens = tokens
        self._keys = keys
        self._verified: OrderedDict[str, Claims] = OrderedDict()

    def caller(self, authorization: str | None) -> Caller:
        """The caller named by an ``authorization`` header value (None when absent).

        Raises:
            Unauthenticated: without a ``Bearer`` token.
            InvalidToken: for a forged, expired or revoked token.
        """
        token = bearer_token(authorization)
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


def bearer_token(authorization: str | None) -> str:
    """The token of an ``authorization: Bearer <token>`` value (RFC 6750, section 2.1).

    Raises:
        Unauthenticated: if the value is missing or not a bearer token.
    """
    if authorization is None:
        raise Unauthenticated(
            "no access token: authenticate at the broker's auth URL and send "
            "'authorization: Bearer <access token>'"
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    raise Unauthenticated("the authorization metadata must be 'Bearer <access token>'")
