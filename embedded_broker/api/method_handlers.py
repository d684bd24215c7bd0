"""Registering a generated gRPC service with some methods' (de)serializers replaced.

The generated ``add_…Servicer_to_server`` functions fix each method's serializers. Two hot
methods want their own: ``Ensign.Publish`` writes acks already encoded, and
``BrokerAdmin.PublishBatch`` reads a request both as bytes and as decoded events. The generated
function is run against a stand-in that records its handler table; the table, with the
replacements, is then registered on the real server as the generated code would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
    generic = grpc.method_handlers_generic_handler(recorder.service, recorder.handlers)
    server.add_generic_rpc_handlers((generic,))
    server.add_registered_method_handlers(recorder.service, recorder.handlers)
