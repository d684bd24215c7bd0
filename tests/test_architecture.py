"""The broker must stay free of Qt; the generated protobuf modules must match their .proto files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "qasync", "workbench")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "embedded_broker").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_broker_modules_never_import_qt(path: Path) -> None:
    bad = {n for n in _imports(path) if n.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_generated_protobuf_modules_are_up_to_date(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools")
    from embedded_broker.proto.generate import generate

    generate(tmp_path)
    generated = sorted(tmp_path.rglob("*.py*"))
    assert generated
    for fresh in generated:
        committed = ROOT / fresh.relative_to(tmp_path)
        assert committed.exists(), (
            f"{committed} is missing: run python -m embedded_broker.proto.generate"
        )
        assert committed.read_text() == fresh.read_text(), (
            f"{committed.relative_to(ROOT)} is stale: run python -m embedded_broker.proto.generate"
        )
