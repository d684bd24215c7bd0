"""How broker errors reach clients: one gRPC status, and one Ensign nack code, per kind."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc

from embedded_broker.auth.tokens import InvalidToken
from embedded_broker.core.errors import (
    AlreadyExists,
    BrokerError,
    CorruptData,
    EventTooLarge,
    InvalidArgument,
    KeyUnavailable,
    NotFound,
    PermissionDenied,
    StorageFull,
    StoreClosed,
    TopicArchived,
    Unauthenticated,
    UnhandledMimetype,
)
from embedded_broker.proto.ensign.v1beta1.ensign_pb2 import Nack

log = logging.getLogger(__name__)
T = TypeVar("T")


_CODES: list[tuple[type[BaseException], grpc.StatusCode]] = [
    (InvalidToken, grpc.StatusCode.UNAUTHENTICATED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (TopicArchived, grpc.StatusCode.FAILED_PRECONDITION),
    (EventTooLarge, grpc.StatusCode.INVALID_ARGUMENT),
    (StorageFull, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (StoreClosed, grpc.StatusCode.UNAVAILABLE),
    (CorruptData, grpc.StatusCode.DATA_LOSS),
    (KeyUnavailable, grpc.StatusCode.FAILED_PRECONDITION),
]


_NACK_CODES: list[tuple[type[BaseException], Nack.Code]] = [
    (PermissionDenied, Nack.Code.PERMISSION_DENIED),
    (NotFound, Nack.Code.TOPIC_UNKNOWN),
    (TopicArchived, Nack.Code.TOPIC_ARCHIVED),
    (EventTooLarge, Nack.Code.MAX_EVENT_SIZE_EXCEEDED),
    (UnhandledMimetype, Nack.Code.UNHANDLED_MIMETYPE),
    (StorageFull, Nack.Code.INTERNAL),
    (BrokerError, Nack.Code.UNPROCESSED),  # malformed, no data, store closing: send again
]


def status_code(exc: BaseException) -> grpc.StatusCode:
    """The gRPC status for a broker error (INTERNAL for anything unexpected)."""
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return grpc.StatusCode.INTERNAL


def nack_code(exc: BaseException) -> Nack.Code:
    """Ensign's nack code for an event refused or not committed (INTERNAL for the unexpected)."""
    for kind, code in _NACK_CODES:
        if isinstance(exc, kind):
            return code
    return Nack.Code.INTERNAL


async def abort(context: grpc.aio.ServicerContext[Any, Any], exc: BaseException) -> NoReturn:
    """End the call with the status that fits ``exc`` and its message."""
    code = status_code(exc)
    if code is grpc.StatusCode.INTERNAL:
        log.error("internal error: %r", exc, exc_info=exc)
        await context.abort(code, f"internal error: {exc}")
    await context.abort(code, str(exc))
    raise AssertionError("context.abort always raises")  # pragma: no cover


Handler = Callable[..., Awaitable[T]]


def reports_errors(handler: Handler[T]) -> Handler[T]:
    """Decorate a unary handler so broker errors end the call with a matching status."""

    @functools.wraps(handler)
    async def wrapped(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> T:
        try:
            return await handler(self, request, context)
        except BrokerError as exc:
            await abort(context, exc)
        except grpc.aio.AbortError:
            raise
        except Exception:  # a bug: logged here, and never its text on the wire
            log.exception("internal error in %s", handler.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the broker log")
            raise AssertionError("context.abort always raises") from None  # pragma: no cover

    return wrapped
