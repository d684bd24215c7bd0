"""Displayed times: local or UTC, and always saying which."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from workbench.models.time_display import (
    TimeZoneChoice,
    clock_s,
    column_title,
    exact_ms,
    format_ms,
    stamp_ms,
    time_ago,
)

MS = 1_714_564_800_123  # 2024-05-01T12:00:00.123Z
UTC, LOCAL = TimeZoneChoice.UTC, TimeZoneChoice.LOCAL


@pytest.fixture(autouse=True)
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, no daylight saving
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_told_in_the_chosen_zone_and_say_which() -> None:
    assert format_ms(MS, UTC) == "2024-05-01 12:00:00.123"
    assert format_ms(MS, LOCAL) == "2024-05-01 17:30:00.123"
    assert stamp_ms(MS, UTC) == "2024-05-01 12:00:00.123 UTC"
    assert stamp_ms(MS, LOCAL) == "2024-05-01 17:30:00.123 local"
    assert exact_ms(MS, UTC) == "2024-05-01 12:00:00 UTC"
    assert exact_ms(0, UTC) == "never"
    assert clock_s(MS / 1000, LOCAL) == "17:30:00 local"
    assert column_title("Committed", UTC) == "Committed (UTC)"
    assert column_title("Committed") == "Committed (local)"


def test_ages_stay_relative_and_old_dates_say_their_zone() -> None:
    assert time_ago(MS - 180_000, MS, UTC) == "3 min ago"
    assert time_ago(0, MS, UTC) == "never"
    late = 1_714_602_600_000  # 2024-05-01T22:30Z: already 2 May in Kolkata
    now = late + 40 * 86_400_000
    assert time_ago(late, now, UTC) == "2024-05-01 UTC"
    assert time_ago(late, now, LOCAL) == "2024-05-02 local"


def test_a_saved_setting_reads_back_and_anything_else_is_local() -> None:
    assert TimeZoneChoice.parse("utc") is UTC
    assert TimeZoneChoice.parse("UTC") is UTC
    assert TimeZoneChoice.parse("local") is LOCAL
    assert TimeZoneChoice.parse(None) is LOCAL
