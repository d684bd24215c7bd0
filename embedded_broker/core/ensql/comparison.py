"""Comparing values of different types as the comparison operators do; NULL never compares."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any, Final

from embedded_broker.core.ensql.conversions import _parse_version

_NUMERIC = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_TRUTH: Final = {"true": True, "false": False}


def _from_text(text: str, like: object) -> object:
    """Read ``text`` as a value of the type of ``like``, or return None."""
    if isinstance(like, bool):
        return _TRUTH.get(text.strip().lower())
    if isinstance(like, int | float):
        if len(text) > 400 or not _NUMERIC.fullmatch(text):
            return None
        try:
            return int(text)
        except ValueError:
            return float(text)
    if isinstance(like, tuple):
        return _parse_version(text)
    return None


def _align(a: object, b: object) -> tuple[Any, Any] | None:
    """Bring two non-NULL values to comparable types, or return None if they cannot be."""
    if type(a) is type(b):
        return a, b
    if isinstance(a, str) and not isinstance(b, str | bytes):
        converted = _from_text(a, b)
        return None if converted is None else (converted, b)
    if isinstance(b, str) and not isinstance(a, str | bytes):
        converted = _from_text(b, a)
        return None if converted is None else (a, converted)
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a, b
    try:
        if isinstance(a, bytes) and isinstance(b, str):
            return a.decode(), b
        if isinstance(a, str) and isinstance(b, bytes):
            return a, b.decode()
    except UnicodeDecodeError:
        return None
    return None


Comparison = Callable[[Any, Any], Any]


def _compare(op: Comparison, a: object, b: object) -> bool:
    if a is None or b is None:
        return False
    pair = _align(a, b)
    if pair is None:
        return False
    try:
        return bool(op(pair[0], pair[1]))
    except TypeError:
        return False


_COMPARISONS: Final[dict[str, Comparison]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
