"""The live tail's policy, fed plain values: when it polls, when it streams again, what grows."""

from __future__ import annotations

import pytest

from workbench.models.live_tail import FLOOD_RATE, TAIL_KEEP, LiveTailPolicy


def _stream(
    policy: LiveTailPolicy,
    first: int,
    count: int,
    start: float,
    seconds: float,
    behind: int = 0,
    paused: bool = False,
) -> list[int]:
    """Stream ``count`` events from offset ``first``, evenly over ``seconds`` after ``start``
    (the last one exactly at the end), ``behind`` events short of the topic's known end.
    Return the offsets whose arrival switched the policy to polling."""
    switched = []
    for n in range(count):
        offset = first + n
        now = start + seconds * (n + 1) / count
        if policy.streamed(offset, offset + behind, now, paused):
            switched.append(offset)
    return switched


def _poll(policy: LiveTailPolicy, newest: int, now: float, rows: int = 200) -> int:
    """One poll of the newest ``rows`` events of a topic whose last offset is ``newest``."""
    return policy.polled(list(range(max(newest - rows + 1, 1), newest + 1)), now, paused=False)


def _flooded(policy: LiveTailPolicy) -> int:
    """Stream a flood into a new policy until it polls; return the offset it switched at."""
    policy.stream(0.0)
    switched = _stream(policy, 1, 2 * FLOOD_RATE, 0.0, 1.0)
    assert switched == [2 * FLOOD_RATE]
    return switched[0]


def test_a_tail_streams_while_the_rate_is_at_most_the_flood_rate() -> None:
    policy = LiveTailPolicy()
    policy.stream(0.0)
    assert policy.mode == "stream"
    for second in range(5):  # exactly FLOOD_RATE events a second is not a flood
        first = 1 + second * FLOOD_RATE
        assert not _stream(policy, first, FLOOD_RATE, float(second), 1.0)
    assert policy.mode == "stream"
    assert policy.last_seen == 5 * FLOOD_RATE


def test_above_the_flood_rate_the_tail_switches_to_polling_when_the_window_closes() -> None:
    policy = LiveTailPolicy()
    policy.stream(0.0)
    # 1,500 events in the first 0.5 s is a flood's pace, but the window is still open
    assert not _stream(policy, 1, 1_500, 0.0, 0.5)
    assert policy.mode == "stream"
    # 501 more by the end of the second: 2,001 events/s
    assert _stream(policy, 1_501, 501, 0.5, 0.5) == [2_001]
    assert policy.mode == "poll"


def test_falling_behind_the_topics_end_switches_to_polling_even_at_a_low_rate() -> None:
    policy = LiveTailPolicy()
    policy.stream(0.0)
    assert not _stream(policy, 1, 100, 0.0, 1.0, behind=FLOOD_RATE)  # at the limit: no
    assert _stream(policy, 101, 100, 1.0, 1.0, behind=FLOOD_RATE + 1) == [200]
    assert policy.mode == "poll"


def test_a_poll_reports_only_the_events_newer_than_the_last_one_seen() -> None:
    policy = LiveTailPolicy()
    switched_at = _flooded(policy)
    assert policy.last_seen == switched_at
    assert _poll(policy, switched_at + 50, 1.25) == 50
    assert _poll(policy, switched_at + 50, 1.5) == 0  # nothing new
    assert _poll(policy, switched_at + 5_000, 1.75) == 200  # a page holds the newest 200
    assert policy.last_seen == switched_at + 5_000


def test_a_polling_tail_streams_again_after_two_calm_windows_in_a_row() -> None:
    policy = LiveTailPolicy()
    newest = _flooded(policy)
    calm_per_window = FLOOD_RATE // 4 - 1  # just under a quarter of the flood rate
    busy_per_window = FLOOD_RATE // 4  # a quarter is not calm

    newest += calm_per_window
    _poll(policy, newest, 2.0)  # calm window 1
    assert policy.mode == "poll"
    newest += busy_per_window
    _poll(policy, newest, 3.0)  # busy: start counting again
    assert policy.mode == "poll"
    newest += calm_per_window
    _poll(policy, newest, 4.0)  # calm window 1
    assert policy.mode == "poll"
    newest += calm_per_window
    _poll(policy, newest, 5.0)  # calm window 2
    assert policy.mode == "stream"


def test_polls_within_a_window_do_not_close_it() -> None:
    policy = LiveTailPolicy()
    newest = _flooded(policy)
    for n in range(1, 4):  # quiet polls, but only 0.75 s after the switch
        _poll(policy, newest, 1.0 + n * 0.25)
    _poll(policy, newest, 2.0)  # window 1 closes calm
    for n in range(1, 4):
        _poll(policy, newest, 2.0 + n * 0.25)
    assert policy.mode == "poll"
    _poll(policy, newest, 3.0)  # window 2 closes calm
    assert policy.mode == "stream"


def test_streaming_again_starts_a_fresh_window() -> None:
    policy = LiveTailPolicy()
    newest = _flooded(policy)
    policy.stream(10.0)
    assert policy.mode == "stream"
    # a burst counted from the new window's start: 2,001 events in its first second
    assert _stream(policy, newest + 1, 2_001, 10.0, 1.0) == [newest + 2_001]


def test_events_that_arrive_while_paused_are_held_and_counted() -> None:
    policy = LiveTailPolicy()
    policy.stream(0.0)
    _stream(policy, 1, 10, 0.0, 0.5)
    assert policy.held == 0
    _stream(policy, 11, 25, 0.5, 0.25, paused=True)
    assert policy.held == 25
    policy.clear_held()
    assert policy.held == 0

    newest = _flooded(policy)  # streamed while not paused: nothing held
    assert policy.polled(list(range(newest - 9, newest + 31)), 1.25, paused=True) == 30
    assert policy.held == 30  # only the new events of the page


@pytest.mark.parametrize(
    ("arrived", "paused", "inserted"),
    [
        (0, False, 0),
        (30, False, 30),
        (TAIL_KEEP, False, TAIL_KEEP),
        (TAIL_KEEP * 20, False, TAIL_KEEP),  # under a flood only the newest rows are stored
        (30, True, 0),  # paused: nothing moves
    ],
)
def test_a_tick_inserts_the_newest_arrivals_unless_paused(
    arrived: int, paused: bool, inserted: int
) -> None:
    assert LiveTailPolicy().to_insert(arrived, paused) == inserted


@pytest.mark.parametrize(
    ("size", "rows", "paused", "tailing", "growth"),
    [
        (150, 100, False, False, 50),  # the tail is off: grow to the topic's size
        (150, 100, True, False, 0),  # paused: the table stays as it is
        (150, 100, False, True, 0),  # the tail grows the table itself, with events in hand
        (150, 100, True, True, 0),
        (100, 150, False, False, 0),  # never shrinks
        (100, 100, False, False, 0),
    ],
)
def test_the_table_grows_to_a_size_learned_elsewhere_only_when_not_paused_or_tailing(
    size: int, rows: int, paused: bool, tailing: bool, growth: int
) -> None:
    assert LiveTailPolicy().growth(size, rows, paused, tailing) == growth


def test_the_thresholds_can_be_set() -> None:
    policy = LiveTailPolicy(flood_rate=10, window_s=0.5, calm_windows=1, keep=3)
    policy.stream(0.0)
    assert _stream(policy, 1, 6, 0.0, 0.5) == [6]  # 12 events/s over half a second
    assert _poll(policy, 7, 1.0) == 1  # 2 events/s: calm at once
    assert policy.mode == "stream"
    assert policy.to_insert(10, paused=False) == 3
