"""Who is calling a gRPC method: the bearer token in its metadata, checked by ``auth``."""

from __future__ import annotations

from typing import Any

import grpc

from embedded_broker.api.errors import abort
from embedded_broker.auth.authorizer import Authorizer
from embedded_broker.auth.caller import Caller
from embedded_broker.core.errors import BrokerError


async def authorize(authorizer: Authorizer, context: grpc.aio.ServicerContext[Any, Any]) -> Caller:
    """The caller named by the call's ``authorization`` metadata; otherwise the call ends with
    UNAUTHENTICATED (no token, or a forged, expired or revoked one)."""
    authorization = None
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            authorization = value.decode() if isinstance(value, bytes) else str(value)
            break
    try:
        return authorizer.caller(authorization)
    except BrokerError as exc:
        await abort(context, exc)
