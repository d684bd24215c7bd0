"""How handler errors reach the wire: a broker error with its status and message, a bug as
INTERNAL without its text (the text may quote request bytes)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from embedded_broker.api.errors import reports_errors
from embedded_broker.core.errors import InvalidArgument


class _Aborted(Exception):
    pass


class _Context:
    def __init__(self) -> None:
        self.status: tuple[grpc.StatusCode, str] | None = None

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.status = (code, details)
        raise _Aborted


class _Service:
    def __init__(self, error: Exception) -> None:
        self.error = error

    @reports_errors
    async def Call(self, request: Any, context: Any) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidArgument("bad field"), (grpc.StatusCode.INVALID_ARGUMENT, "bad field")),
        (
            OverflowError("secret-ish 0xdeadbeef"),
            (grpc.StatusCode.INTERNAL, "internal error; see the broker log"),
        ),
    ],
)
def test_errors_reach_the_wire_with_a_status_and_no_internals(
    error: Exception, status: tuple[grpc.StatusCode, str]
) -> None:
    context = _Context()
    with pytest.raises(_Aborted):
        asyncio.run(_Service(error).Call(None, context))
    assert context.status == status
