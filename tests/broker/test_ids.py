from __future__ import annotations

import pytest

from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.ids import (
    RlidGenerator,
    make_rlid,
    new_ulid,
    parse_ulid,
    rlid_ms,
    rlid_seq,
    ulid_ms,
    ulid_str,
)


def test_ulid_text_round_trip_and_time() -> None:
    raw = new_ulid(1_700_000_000_123)
    text = ulid_str(raw)
    assert len(text) == 26
    assert parse_ulid(text) == raw
    assert parse_ulid(text.lower()) == raw
    assert ulid_ms(raw) == 1_700_000_000_123


def test_ulids_sort_by_time() -> None:
    early, late = new_ulid(1000), new_ulid(2000)
    assert ulid_str(early) < ulid_str(late)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("short", "expected 26 characters"),
        ("01ARZ3NDEKTSV4RRFFQ69G5FA!", "can only consist of letters in 0123"),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAé", "can only consist of letters"),
        ("ZZZZZZZZZZZZZZZZZZZZZZZZZZ", "overflow"),
        (b"\x00" * 15, "16 bytes"),
        # Crockford's decoding aliases are not ULID letters: one id, one spelling per case.
        ("01ARZ3NDEKTSV4RRFFQ69G5FAO", "can only consist of letters"),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAI", "can only consist of letters"),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAl", "can only consist of letters"),
    ],
)
def test_malformed_ulids_are_rejected_with_the_reason(value: str | bytes, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as refused:
        parse_ulid(value)
    if isinstance(value, str):
        assert repr(value) in str(refused.value)  # the message names the bad value


def test_raw_ulids_pass_through_and_other_sizes_are_refused() -> None:
    raw = new_ulid()
    assert parse_ulid(raw) == raw
    with pytest.raises(InvalidArgument, match="a ULID is 16 bytes, got 10"):
        ulid_str(b"\x00" * 10)
    with pytest.raises(InvalidArgument, match="a ULID is 16 bytes, got 17"):
        ulid_ms(b"\x00" * 17)


def test_ulids_made_in_one_millisecond_are_distinct() -> None:
    ids = [new_ulid(5000) for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert {ulid_ms(raw) for raw in ids} == {5000}


def test_rlid_layout() -> None:
    rlid = make_rlid(1_700_000_000_000, 7)
    assert len(rlid) == 10
    assert rlid_ms(rlid) == 1_700_000_000_000
    assert rlid_seq(rlid) == 7


def test_rlids_strictly_increase_within_one_millisecond() -> None:
    generator = RlidGenerator()
    ids = [generator.next(ms=5000) for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000


def test_rlids_keep_increasing_when_the_clock_steps_back() -> None:
    generator = RlidGenerator()
    later = generator.next(ms=10_000)
    earlier_clock = generator.next(ms=9_000)
    assert earlier_clock > later
    assert rlid_ms(earlier_clock) == 10_000


def test_a_generator_seeded_with_the_last_stored_id_never_repeats_it() -> None:
    last = make_rlid(50_000, 41)
    generator = RlidGenerator(last)
    assert generator.next(ms=40_000) > last  # a restart with a clock behind the stored ids
    fresh = RlidGenerator(last).next(ms=60_000)
    assert fresh > last and rlid_seq(fresh) == 0
