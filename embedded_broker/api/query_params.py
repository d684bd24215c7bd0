"""EnSQL query parameters from the wire."""

from __future__ import annotations

from embedded_broker.proto.ensign.v1beta1.query_pb2 import Query


def query_params(query: Query) -> dict[str, object]:
    """The named parameters of a ``Query`` message as plain values."""
    values: dict[str, object] = {}
    for param in query.params:
        kind = param.WhichOneof("value")
        values[param.name] = getattr(param, kind) if kind else None
    return values
