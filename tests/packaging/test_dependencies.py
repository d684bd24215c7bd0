"""Every library the application imports is one ``pip install`` installs: a module that only the
test extras (or a developer's machine) happen to provide works in the tests and fails for users.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("embedded_broker", "workbench", "change_capture")
DEVELOPER_TOOLS = {"embedded_broker/proto/generate.py"}  # needs the test extras (grpcio-tools)


def _imported_top_level(package: str) -> dict[str, str]:
    """Top-level module names imported anywhere in ``package`` (function bodies included),
    each with one file that imports it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if str(path.relative_to(ROOT)) in DEVELOPER_TOOLS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_imported_library_is_a_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    imported: dict[str, str] = {}
    for package in APPLICATION:
        imported.update(_imported_top_level(package))
    undeclared = []
    for module, where in sorted(imported.items()):
        if module in sys.stdlib_module_names or module in APPLICATION or module == "__future__":
            continue
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not providers & declared:
            undeclared.append(f"{module} (imported in {where}; from {sorted(providers)})")
    assert not undeclared, "imported but not in [project] dependencies: " + "; ".join(undeclared)
