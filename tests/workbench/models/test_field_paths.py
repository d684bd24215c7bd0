"""Field paths into JSON documents."""

from __future__ import annotations

import pytest

from workbench.models.field_paths import MISSING, PathError, lookup, parse_path

DOC = {"a": {"b": [10, {"c": 3}]}, "x.y": 1, "n": None, "list": [[1, 2]]}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("a.b[0]", 10),
        ("a.b[1].c", 3),
        ('"x.y"', 1),
        ("n", None),
        ("list[0][1]", 2),
        ("a.c", MISSING),
        ("a.b[5]", MISSING),
        ("a.b.c", MISSING),
        ("n.deeper", MISSING),
    ],
)
def test_lookup(path: str, value: object) -> None:
    assert (
        lookup(DOC, path) is value
        if value is MISSING or value is None
        else lookup(DOC, path) == value
    )


def test_paths_parse_into_keys_and_indexes() -> None:
    assert parse_path("position.lat") == ("position", "lat")
    assert parse_path("items[2].sku") == ("items", 2, "sku")
    assert parse_path('"a.b"[0].c') == ("a.b", 0, "c")


@pytest.mark.parametrize("path", ["", "a..b", "a[x]", "a.[0]"])
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(PathError):
        parse_path(path)
