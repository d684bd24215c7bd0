"""Operands: one side of a condition, either a field or a constant."""

from __future__ import annotations

from dataclasses import dataclass

from embedded_broker.core.ensql.conversions import Converter
from embedded_broker.core.ensql.rows import Getter
from embedded_broker.core.ensql.tokens import _Tok


@dataclass(frozen=True, slots=True)
class _Operand:
    """One side of a comparison: a field, or a constant (a literal or a bound parameter)."""

    tok: _Tok
    get: Getter
    const: bool = False
    value: object = None
    raw: str | None = None
    """A number literal's source text (so that ``version = 1.10`` is not read as 1.1)."""
    convert: Converter | None = None


def _literal(tok: _Tok, value: object, raw: str | None = None) -> _Operand:
    return _Operand(tok, lambda row: value, const=True, value=value, raw=raw)
