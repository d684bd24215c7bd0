"""JSON read and written without changing a value, at any size, for views, copies and exports.

Python's :mod:`json` turns ``0.10000000000000000555`` into ``0.1`` and ``1e400`` into
``Infinity``, keeps only the last of two equal keys, drops the sign of ``-0``, and raises
``RecursionError`` for a document nested a few hundred levels deep. What this module reads keeps
each value as written:

- a number is a :class:`JsonNumber`: its literal text (``1.0E+2`` stays ``1.0E+2``), as are the
  constants ``NaN``, ``Infinity`` and ``-Infinity`` that some producers write (not JSON: RFC 8259
  section 6 has no such numbers);
- an object is a :class:`JsonObject`: a dict (the last of equal keys wins, as in :mod:`json`)
  that also keeps every member in order in :attr:`JsonObject.pairs`;
- strings are Python strings; a lone surrogate (``"\\ud800"``, valid JSON text but no character)
  is kept and written back as its escape.

A document nested deeper than :data:`MAX_DEPTH` is refused with :class:`TooDeep` before any parse,
so no caller ever meets a ``RecursionError``; :func:`dumps` writes without recursion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

MAX_DEPTH: Final = 200
"""The deepest nesting of arrays and objects read as JSON (real documents stay far below it;
Python's own parser fails somewhere under a thousand, depending on the stack already used)."""

_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_CONSTANTS: Final = frozenset({"NaN", "Infinity", "-Infinity"})


class JsonNumber(str):
    """A JSON number as written (``12345678901234567890``, ``1.0E+2``, ``-0``), or one of the
    constants ``NaN``, ``Infinity``, ``-Infinity``."""

    __slots__ = ()

    @property
    def is_constant(self) -> bool:
        """True for ``NaN`` and the infinities, which JSON proper does not have."""
        return str(self) in _CONSTANTS


class JsonObject(dict[str, Any]):
    """A JSON object: a dict whose :attr:`pairs` keep every member, repeated keys included."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


class TooDeep(ValueError):
    """A document nested deeper than a reader takes.

    Attributes:
        depth: how deep it is nested.
        limit: the deepest nesting read.
    """

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"nested {depth:,} levels deep; JSON is read to {limit:,} levels at most")
        self.depth = depth
        self.limit = limit


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse(text: str, max_depth: int = MAX_DEPTH, constants: bool = True) -> Any:
    """Read one JSON document, keeping every value as written (see the module docstring).

    Args:
        text: the document.
        max_depth: the deepest nesting read.
        constants: whether ``NaN``, ``Infinity`` and ``-Infinity`` are read (as
            :class:`JsonNumber`) or refused.

    Raises:
        TooDeep: for a document nested deeper than ``max_depth``.
        ValueError: for text that is not JSON (a ``json.JSONDecodeError`` with its position).
    """
    depth = nesting_depth(text)
    if depth > max_depth:
        raise TooDeep(depth, max_depth)
    try:
        return json.loads(
            text,
            parse_int=JsonNumber,
            parse_float=JsonNumber,
            parse_constant=JsonNumber if constants else _refuse_constant,
            object_pairs_hook=JsonObject,
        )
    except RecursionError:  # the caller's stack was already deep: still not an accident
        raise TooDeep(depth, max_depth) from None


def parse_plain(text: str | bytes, max_depth: int = MAX_DEPTH, **options: Any) -> Any:
    """:func:`json.loads` (plain Python values, ``options`` passed on), but a document nested
    deeper than ``max_depth`` is refused with :class:`TooDeep` rather than a ``RecursionError``.

    Raises:
        TooDeep: for a document nested deeper than ``max_depth``.
        ValueError: for text that is not JSON (bytes that are not UTF-8 included).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise TooDeep(depth, max_depth)
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise TooDeep(depth, max_depth) from None


def is_strict(value: Any) -> bool:
    """True if ``value`` (as :func:`parse` returns) holds no ``NaN`` or infinity: JSON proper."""
    return not any(isinstance(v, JsonNumber) and v.is_constant for v in _leaves(value))


def texts(value: Any) -> Iterator[str]:
    """Every key and string value in ``value`` (as :func:`parse` returns), without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            pairs = item.pairs if isinstance(item, JsonObject) else list(item.items())
            for key, member in reversed(pairs):
                yield key
                stack.append(member)
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, str) and not isinstance(item, JsonNumber):
            yield item


def _leaves(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, JsonObject):
            stack.extend(v for _, v in item.pairs)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def string(text: str) -> str:
    """A JSON string literal of ``text``: characters as they are, control characters and lone
    surrogates escaped (so the result can be written as UTF-8)."""
    literal = json.dumps(text, ensure_ascii=False)
    if _SURROGATE.search(text) is None:
        return literal
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", literal)


def dumps(value: Any, indent: int | None = None, separators: tuple[str, str] = (", ", ": ")) -> str:
    """JSON text of ``value`` with every number, repeated key and string as :func:`parse` read
    it (dicts, lists, str, int, float, bool and None are written as :mod:`json` writes them).

    Args:
        value: what :func:`parse` returns, or plain JSON-ready values holding it.
        indent: spaces per level (one member per line), or None for one line.
        separators: (between items, between a key and its value) on one line.

    Raises:
        TypeError: for a value JSON cannot hold.
    """
    out: list[str] = []
    item_sep, key_sep = separators
    if indent is not None:
        item_sep, key_sep = item_sep.rstrip(" "), ": "
    # The stack holds values still to write and the text that closes open containers.
    stack: list[tuple[str, Any, int]] = [("value", value, 0)]
    while stack:
        kind, item, level = stack.pop()
        if kind == "text":
            out.append(item)
            continue
        if isinstance(item, dict | list) and item:
            members = _members(item)
            opening, closing = ("{", "}") if isinstance(item, dict) else ("[", "]")
            inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
            outer = "" if indent is None else "\n" + " " * (indent * level)
            out.append(opening)
            stack.append(("text", outer + closing, level))
            for index in range(len(members) - 1, -1, -1):
                key, member = members[index]
                stack.append(("value", member, level + 1))
                lead = inner if index == 0 else item_sep + inner
                stack.append(("text", lead + (string(key) + key_sep if key is not None else ""), 0))
            continue
        out.append(_scalar(item))
    return "".join(out)


def _members(item: dict[str, Any] | list[Any]) -> list[tuple[str | None, Any]]:
    if isinstance(item, JsonObject):
        return list(item.pairs)
    if isinstance(item, dict):
        return list(item.items())
    return [(None, v) for v in item]


def _scalar(item: Any) -> str:
    if isinstance(item, JsonNumber):
        return str(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, dict):
        return "{}"
    if isinstance(item, list):
        return "[]"
    if item is None or isinstance(item, bool | int | float):
        return json.dumps(item)
    raise TypeError(f"a {type(item).__name__} is not a JSON value")
