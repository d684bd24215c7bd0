"""A profile's figures as text: shares, numbers, frequent strings, drift."""

from __future__ import annotations

from workbench.models.profile_drift import Drift
from workbench.models.profile_text import drift_text, number_text, percent, top_text, types_text
from workbench.models.topic_profile import FieldProfile


def _field(**changes: object) -> FieldProfile:
    base: dict[str, object] = {
        "path": "p",
        "types": {"integer": 9, "string": 1},
        "values": 10,
        "present": 10,
        "missing": 0,
        "first_offset": 1,
        "last_offset": 10,
    }
    return FieldProfile(**{**base, **changes})  # type: ignore[arg-type]


def test_percentages_keep_small_shares_visible() -> None:
    assert [percent(p, 1000) for p in (0, 1, 4, 50, 333, 1000)] == [
        "0%",
        "0.1%",
        "0.4%",
        "5%",
        "33%",
        "100%",
    ]
    assert percent(1, 100_000) == "<0.1%"
    assert percent(0, 0) == ""


def test_types_are_listed_most_common_first() -> None:
    assert types_text(_field(types={"string": 1, "integer": 9})) == "integer 90%, string 10%"


def test_numbers_read_easily() -> None:
    assert [number_text(v) for v in (None, 3, 12_345, 0.5, 2.0 / 3, 1e20)] == [
        "",
        "3",
        "12,345",
        "0.5",
        "0.666667",
        "1e+20",
    ]


def test_frequent_strings_show_counts_and_mark_lower_bounds() -> None:
    exact = _field(top_values=(("eu", 40), ("us", 20), ("ap", 5), ("sa", 1)))
    assert top_text(exact) == "eu (40), us (20), ap (5)"
    bounded = _field(top_values=(("eu", 40), ("x", 2), ("y", 1)), top_error=2)
    assert top_text(bounded) == "eu (≥40)"  # x and y may not be frequent at all
    assert top_text(_field(top_values=(("a" * 30, 3),))) == "a" * 23 + "… (3)"


def test_drift_text_names_the_change_offset_and_time() -> None:
    change = Drift("amount", "type", 31, 1_714_564_800_123, "integer", "string")
    assert drift_text(change) == (
        "amount changed type from integer to string at offset 31 (2024-05-01T12:00:00.123Z)"
    )
