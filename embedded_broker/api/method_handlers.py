"""Registering a generated gRPC service with some methods' (de)serializers replaced.

The generated ``add_…Servicer_to_server`` functions fix each method's serializers. Two hot
methods want their own: ``Ensign.Publish`` writes acks already encoded, and
``BrokerAdmin.PublishBatch`` reads a request both as bytes and as decoded events. The generated
function is run against a stand-in that records its handler table; the table, with the
replacements, is then registered on the real server as the generated code would.

Every method's request reader is also made lenient: gRPC answers a request it cannot decode with
UNKNOWN ("Unexpected DecodeError"); here such a request, or any message of a stream, ends the
call with INVALID_ARGUMENT and what was wrong.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeAlias

import grpc


class _Recorder:
    """Stands in for a server to catch a generated module's handler table."""

    def __init__(self) -> None:
        self.service = ""
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def add_generic_rpc_handlers(self, handlers: object) -> None:
        pass

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        self.service, self.handlers = service, dict(handlers)


def add_service(
    add_to_server: Callable[[Any, Any], None],
    servicer: object,
    server: grpc.aio.Server,
    replaced: Mapping[str, grpc.RpcMethodHandler],
) -> None:
    """Register ``servicer`` on ``server`` with the handlers in ``replaced`` instead of the
    generated ones of the same method names.

    Raises:
        KeyError: if ``replaced`` names a method the service does not have.
    """
    recorder = _Recorder()
    add_to_server(servicer, recorder)
    for name, handler in replaced.items():
        if name not in recorder.handlers:
            raise KeyError(f"{recorder.service} has no method {name!r}")
        recorder.handlers[name] = handler
    handlers = {name: _lenient(name, h) for name, h in recorder.handlers.items()}
    generic = grpc.method_handlers_generic_handler(recorder.service, handlers)
    server.add_generic_rpc_handlers((generic,))
    server.add_registered_method_handlers(recorder.service, handlers)


class _Undecodable:
    """What a lenient reader returns for bytes that are not the method's request message."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


def _lenient(method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """``handler`` with a request reader that never raises and a behaviour that answers an
    undecodable request with INVALID_ARGUMENT."""
    deserialize = handler.request_deserializer
    if deserialize is None:
        return handler

    def read(raw: bytes) -> Any:
        try:
            return deserialize(raw)
        except Exception as exc:
            return _Undecodable(f"the {method} request is not a valid message: {exc}")

    async def refuse(context: Context, request: Any) -> None:
        if isinstance(request, _Undecodable):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.reason)

    async def requests(iterator: AsyncIterator[Any], context: Context) -> AsyncIterator[Any]:
        async for request in iterator:
            await refuse(context, request)
            yield request

    serialize = handler.response_serializer
    if handler.request_streaming and handler.response_streaming:
        inner_ss = handler.stream_stream

        async def stream_stream(iterator: AsyncIterator[Any], context: Context) -> Any:
            return await inner_ss(requests(iterator, context), context)

        return grpc.stream_stream_rpc_method_handler(stream_stream, read, serialize)
    if handler.request_streaming:
        inner_su = handler.stream_unary

        async def stream_unary(iterator: AsyncIterator[Any], context: Context) -> Any:
            return await inner_su(requests(iterator, context), context)

        return grpc.stream_unary_rpc_method_handler(stream_unary, read, serialize)
    if handler.response_streaming:
        inner_us = handler.unary_stream

        async def unary_stream(request: Any, context: Context) -> AsyncIterator[Any]:
            await refuse(context, request)
            answer = inner_us(request, context)
            if inspect.isasyncgen(answer):
                async for reply in answer:
                    yield reply
            else:
                await answer

        return grpc.unary_stream_rpc_method_handler(unary_stream, read, serialize)
    inner_uu = handler.unary_unary

    async def unary_unary(request: Any, context: Context) -> Any:
        await refuse(context, request)
        return await inner_uu(request, context)

    return grpc.unary_unary_rpc_method_handler(unary_unary, read, serialize)
