"""Finding a field in an event's JSON by path: ``heart_rate``, ``position.lat``, ``items[0].sku``.

A path is object keys joined with ``.``; ``[n]`` picks the n-th element of an array (from 0).
A key that itself holds a ``.`` or ``[`` is written in double quotes: ``"a.b".c``.
"""

from __future__ import annotations

import re
from typing import Any, Final

MISSING: Final = object()
"""What :func:`lookup` answers when the path is not in the document."""

_STEP = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^.\[\]"]+))((?:\[\d+\])*)\s*')


class PathError(ValueError):
    """A path that cannot be read (the message says where)."""


def parse_path(path: str) -> tuple[str | int, ...]:
    """The steps of a path: keys (text) and array indexes (whole numbers).

    Raises:
        PathError: for an empty or malformed path.
    """
    steps: list[str | int] = []
    for part_index, match in enumerate(_split(path)):
        found = _STEP.fullmatch(match)
        if found is None:
            raise PathError(f"{path!r}: cannot read part {part_index + 1} ({match!r})")
        quoted, plain, indexes = found.groups()
        steps.append(quoted.replace('\\"', '"') if quoted is not None else plain)
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", indexes))
    if not steps:
        raise PathError("an empty path")
    return tuple(steps)


def _split(path: str) -> list[str]:
    """Split on dots outside double quotes."""
    parts, current, quoted = [], "", False
    for char in path:
        if char == '"':
            quoted = not quoted
        if char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def lookup(document: Any, path: str | tuple[str | int, ...]) -> Any:
    """The value at ``path`` in a decoded JSON document, or :data:`MISSING`.

    Raises:
        PathError: for a malformed path (given as text).
    """
    steps = parse_path(path) if isinstance(path, str) else path
    value = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return MISSING
        elif not isinstance(value, dict) or step not in value:
            return MISSING
        value = value[step]
    return value


def leaf_paths(document: Any, limit: int = 200) -> list[tuple[str, Any]]:
    """The paths of a document's scalar values (numbers, text, booleans, null) with the value,
    in document order, at most ``limit`` (arrays: their first element only)."""
    found: list[tuple[str, Any]] = []

    def walk(value: Any, path: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(value, dict):
            for key, child in value.items():
                step = key if _PLAIN_KEY.fullmatch(key) else '"' + key.replace('"', '\\"') + '"'
                walk(child, f"{path}.{step}" if path else step)
        elif isinstance(value, list):
            if value and path:
                walk(value[0], f"{path}[0]")
        elif path:
            found.append((path, value))

    walk(document, "")
    return found


_PLAIN_KEY = re.compile(r"[^.\[\]\"\s]+")
