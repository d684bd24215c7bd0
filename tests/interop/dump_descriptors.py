"""Print the message and enum descriptors of pyensign's generated modules as JSON.

Runs inside the pyensign virtual environment; also importable with our own modules, where
``dump(modules)`` describes them the same way.
"""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any

from google.protobuf import descriptor_pb2

PYENSIGN_MODULES = [
    "pyensign.api.v1beta1.event_pb2",
    "pyensign.api.v1beta1.topic_pb2",
    "pyensign.api.v1beta1.groups_pb2",
    "pyensign.api.v1beta1.query_pb2",
    "pyensign.api.v1beta1.ensign_pb2",
    "pyensign.mimetype.v1beta1.mimetype_pb2",
    "pyensign.region.v1beta1.region_pb2",
]


def _message(descriptor: Any, out: dict[str, Any]) -> None:
    fields = {}
    for field in descriptor.fields:
        oneof = field.containing_oneof.name if field.containing_oneof else None
        type_name = (
            (field.message_type or field.enum_type).full_name
            if (field.message_type or field.enum_type)
            else None
        )
        repeated = getattr(field, "is_repeated", None)
        if repeated is None:
            repeated = field.label == field.LABEL_REPEATED
        fields[field.name] = [field.number, field.type, bool(repeated), type_name, oneof]
    out["messages"][descriptor.full_name] = fields
    for nested in descriptor.nested_types:
        _message(nested, out)
    for enum in descriptor.enum_types:
        out["enums"][enum.full_name] = {v.name: v.number for v in enum.values}


def dump(modules: list[ModuleType]) -> dict[str, Any]:
    """Describe every message, enum and service method of the given ``*_pb2`` modules."""
    out: dict[str, Any] = {"messages": {}, "enums": {}, "methods": {}}
    for module in modules:
        file = module.DESCRIPTOR
        for message in file.message_types_by_name.values():
            _message(message, out)
        for enum in file.enum_types_by_name.values():
            out["enums"][enum.full_name] = {v.name: v.number for v in enum.values}
        for service in file.services_by_name.values():
            proto = descriptor_pb2.ServiceDescriptorProto()
            service.CopyToProto(proto)  # older runtimes lack MethodDescriptor.client_streaming
            for method in proto.method:
                out["methods"][f"/{service.full_name}/{method.name}"] = [
                    method.input_type.lstrip("."),
                    method.output_type.lstrip("."),
                    method.client_streaming,
                    method.server_streaming,
                ]
    return out


if __name__ == "__main__":
    print(json.dumps(dump([importlib.import_module(m) for m in PYENSIGN_MODULES])))
    sys.exit(0)
