"""Compiled conditions: predicates over rows, combined so that constant ones fold away."""

from __future__ import annotations

from collections.abc import Callable

from embedded_broker.core.ensql.rows import _Row

Predicate = Callable[[_Row], bool]


def _always(row: _Row) -> bool:
    return True


def _never(row: _Row) -> bool:
    return False


def _constant(result: bool) -> Predicate:
    return _always if result else _never


def _negate(predicate: Predicate) -> Predicate:
    if predicate is _always:
        return _never
    if predicate is _never:
        return _always
    return lambda row: not predicate(row)


def _all(predicates: list[Predicate]) -> Predicate:
    if _never in predicates:
        return _never
    rest = tuple(p for p in predicates if p is not _always)
    if not rest:
        return _always
    if len(rest) == 1:
        return rest[0]
    if len(rest) == 2:
        first, second = rest
        return lambda row: first(row) and second(row)

    def every(row: _Row) -> bool:
        return all(p(row) for p in rest)

    return every


def _any(predicates: list[Predicate]) -> Predicate:
    if _always in predicates:
        return _always
    rest = tuple(p for p in predicates if p is not _never)
    if not rest:
        return _never
    if len(rest) == 1:
        return rest[0]
    if len(rest) == 2:
        first, second = rest
        return lambda row: first(row) or second(row)

    def some(row: _Row) -> bool:
        return any(p(row) for p in rest)

    return some


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
