"""What a cell shows of a text value: the characters it holds, in the order it holds them."""

from __future__ import annotations

import pytest

from workbench.models.payload_formats import shown_text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain 東京 😀", "plain 東京 😀"),
        ("\u202eRTL", "\\u202eRTL"),  # would show as "LTR": reordered on screen
        ("a\u2067b\u2069c", "a\\u2067b\\u2069c"),  # an isolate and its end
        ("lone \ud800", "lone \\ud800"),  # no character at all
        ("\u200f mark", "\u200f mark"),  # a direction mark reorders nothing: kept
    ],
)
def test_a_value_is_shown_in_the_order_it_holds_its_characters(value: str, shown: str) -> None:
    assert shown_text(value) == shown
