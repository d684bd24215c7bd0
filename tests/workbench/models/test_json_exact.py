"""JSON read and written without changing a value: numbers as written, repeated keys, lone
surrogates, any depth refused cleanly."""

from __future__ import annotations

import json

import pytest

from workbench.models import json_exact
from workbench.models.json_exact import JsonNumber, JsonObject, TooDeep

WRITTEN = (
    '{"big": 12345678901234567890, "precise": 0.10000000000000000555, "exp": 1.0E+2, '
    '"huge": 1e400, "negzero": -0, "twice": 1, "twice": 2, "lone": "\\ud800", '
    '"digits": ' + "7" * 5000 + ', "nested": [[], {}, [{"a": null, "b": true}]]}'
)


def test_numbers_and_repeated_keys_come_back_as_written() -> None:
    value = json_exact.parse(WRITTEN)
    assert isinstance(value, JsonObject)
    assert value["big"] == "12345678901234567890" and isinstance(value["big"], JsonNumber)
    assert [k for k, _ in value.pairs].count("twice") == 2 and value["twice"] == "2"
    assert json_exact.dumps(value) == WRITTEN  # token for token
    assert json_exact.dumps(value, separators=(",", ":")) == WRITTEN.replace(", ", ",").replace(
        ": ", ":"
    )
    indented = json_exact.dumps(value, indent=2)
    as_text = {"parse_int": str, "parse_float": str}  # Python's ints stop at 4,300 digits
    assert json.loads(indented, **as_text) == json.loads(WRITTEN, **as_text)  # the same values
    assert '\n  "exp": 1.0E+2,\n' in indented


def test_plain_values_are_written_as_json_writes_them() -> None:
    plain = {"a": [1, 2.5, None, True, "x\n\u2028"], "b": {}, "c": []}
    for indent in (None, 2):
        assert json_exact.dumps(plain, indent=indent) == json.dumps(
            plain, indent=indent, ensure_ascii=False
        )
    with pytest.raises(TypeError):
        json_exact.dumps({"when": object()})


def test_a_lone_surrogate_is_written_as_its_escape_so_utf8_can_hold_it() -> None:
    text = json_exact.dumps(["\ud83d", "ok \ud83d\ude00"])
    assert text == '["\\ud83d", "ok \\ud83d\\ude00"]'
    text.encode("utf-8")


def test_nan_and_infinity_are_kept_or_refused() -> None:
    value = json_exact.parse("[NaN, -Infinity, 1]")
    assert json_exact.dumps(value) == "[NaN, -Infinity, 1]"
    assert not json_exact.is_strict(value) and json_exact.is_strict(json_exact.parse("[1]"))
    with pytest.raises(ValueError, match="NaN"):
        json_exact.parse("[NaN]", constants=False)


@pytest.mark.parametrize("depth", [json_exact.MAX_DEPTH + 1, 5_000, 100_000])
def test_deep_documents_are_refused_with_their_depth_and_never_recurse(depth: int) -> None:
    text = "[" * depth + "]" * depth
    with pytest.raises(TooDeep, match=f"nested {depth:,} levels deep") as refused:
        json_exact.parse(text)
    assert refused.value.depth == depth
    with pytest.raises(TooDeep):
        json_exact.parse_plain(text)
    deep: list[object] = []
    for _ in range(depth):
        deep = [deep]
    assert json_exact.dumps(deep) == "[" * (depth + 1) + "]" * (depth + 1)


def test_depth_ignores_brackets_in_strings() -> None:
    assert json_exact.nesting_depth('["[[[{{{", {"a": ["\\"]"]}]') == 3
    assert json_exact.parse('{"a": "[[[[[[["}', max_depth=1) == {"a": "[[[[[[["}


def test_not_json_is_a_value_error_with_its_place() -> None:
    with pytest.raises(json.JSONDecodeError) as error:
        json_exact.parse('{"a": 1,}')
    assert error.value.colno == 9
    with pytest.raises(ValueError):
        json_exact.parse_plain(b"\xff")
