"""Regenerate the Python protobuf and gRPC modules from the ``.proto`` files beside this one.

Run from anywhere: ``python -m embedded_broker.proto.generate`` (needs ``grpcio-tools``).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = Path(__file__).resolve().parent


def proto_files() -> list[Path]:
    """Every ``.proto`` file of the project, relative to the repository root."""
    return sorted(p.relative_to(ROOT) for p in PROTO_DIR.rglob("*.proto"))


def generate(out_dir: Path = ROOT) -> None:
    """Write ``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py`` under ``out_dir``."""
    import grpc_tools
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p) for p in proto_files()],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for proto in proto_files():
        if "\nservice " not in (ROOT / proto).read_text():
            stub = out_dir / proto.with_name(proto.stem + "_pb2_grpc.py")
            stub.unlink(missing_ok=True)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
