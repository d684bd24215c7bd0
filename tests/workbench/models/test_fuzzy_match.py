"""Fuzzy matching for the command palette: which texts match, and in what order."""

from __future__ import annotations

from workbench.models.fuzzy_match import match, position_bonus, rank, rank_matches


def test_a_query_matches_when_its_letters_appear_in_order_ignoring_case() -> None:
    assert match("oc", "orders.created") is not None
    assert match("OC", "orders.created") is not None
    assert match("co", "orders") is None  # letters out of order
    assert match("orders!", "orders") is None  # a letter the text lacks
    assert match("abc", "ab") is None


def test_positions_are_the_matched_characters() -> None:
    found = match("oc", "orders.created")
    assert found is not None
    assert found.positions == (0, 7)  # the word starts, not the 'c' nowhere near a boundary
    found = match("ts", "topic_stats")
    assert found is not None and found.positions == (0, 6)


def test_an_empty_query_matches_everything_with_no_highlight() -> None:
    assert match("", "anything") is not None
    assert match("", "anything") == match("", "")
    assert rank("", ["b", "a", "c"], str) == ["b", "a", "c"]


def test_consecutive_letters_beat_scattered_ones() -> None:
    assert rank("ord", ["lxoxrxdx", "lord"], str) == ["lord", "lxoxrxdx"]


def test_a_prefix_beats_a_match_inside_a_word() -> None:
    assert rank("pay", ["repayments", "payments"], str) == ["payments", "repayments"]


def test_word_starts_beat_letters_inside_words() -> None:
    ranked = rank("oc", ["toxic", "orders.created", "ocelot-log"], str)
    assert ranked[:2] == ["ocelot-log", "orders.created"]
    assert ranked[-1] == "toxic"
    camel = rank("oe", ["shoes", "OrderEvents"], str)
    assert camel[0] == "OrderEvents"


def test_word_boundaries() -> None:
    text = "audit_log-v2.fooBar 9"
    assert position_bonus(text, 0) > 0  # start of the text
    assert position_bonus(text, text.index("log")) > 0  # after '_'
    assert position_bonus(text, text.index("v2")) > 0  # after '-'
    assert position_bonus(text, text.index("B")) > 0  # camel hump
    assert position_bonus(text, text.index("2")) > 0  # a digit after a letter
    assert position_bonus(text, text.index("9")) > 0  # after a space
    assert position_bonus(text, 1) == 0  # inside a word


def test_ties_go_to_the_shorter_text_then_the_earlier_item() -> None:
    assert rank("ab", ["ab-long", "ab-x"], str) == ["ab-x", "ab-long"]
    assert rank("ab", ["ab.y", "ab.x"], str) == ["ab.y", "ab.x"]


def test_rank_uses_the_key_and_drops_non_matches() -> None:
    items = [("payments", 1), ("orders", 2), ("order-lines", 3)]
    ranked = rank_matches("ord", items, key=lambda item: item[0])
    assert [item for item, _ in ranked] == [("orders", 2), ("order-lines", 3)]
    assert all(found.positions == (0, 1, 2) for _, found in ranked)


def test_the_best_placement_is_found_not_the_leftmost() -> None:
    # Leftmost matching would take the 'x', 'y' at 0 and 2; the best takes "xy" together.
    found = match("xy", "xay-xy")
    assert found is not None and found.positions == (4, 5)
    found = match("sd", "sessions.daily")
    assert found is not None and found.positions == (0, 9)


def test_long_texts_are_fast_enough() -> None:
    text = "a" * 500 + "-b" * 6
    found = match("aaaaabbbbbb", text)
    assert found is not None and len(found.positions) == 11
