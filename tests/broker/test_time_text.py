from __future__ import annotations

import pytest

from embedded_broker.core.time_text import local_time, time_ago

NOW = 1_750_000_000_000
S = 1000


@pytest.mark.parametrize(
    ("then", "text"),
    [
        (None, "never"),
        (0, "never"),
        (NOW + 3 * S, "just now"),
        (NOW - 4 * S, "just now"),
        (NOW - 42 * S, "42 s ago"),
        (NOW - 180 * S, "3 min ago"),
        (NOW - 3599 * S, "59 min ago"),
        (NOW - 5 * 3600 * S, "5 h ago"),
        (NOW - 86_400 * S, "1 day ago"),
        (NOW - 12 * 86_400 * S, "12 days ago"),
    ],
)
def test_ages_read_as_people_say_them(then: int | None, text: str) -> None:
    assert time_ago(then, NOW) == text


def test_old_times_are_dates_and_exact_times_carry_their_offset() -> None:
    then = NOW - 40 * 86_400 * S
    assert time_ago(then, NOW) == local_time(then)[:10]
    exact = local_time(NOW)
    assert len(exact) == len("2025-06-15 15:06:40 +0000") and exact[4] == "-"
    assert local_time(None) == "never"
