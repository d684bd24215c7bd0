from __future__ import annotations

import random

import pytest

from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.group_delivery import (
    DEFAULT_DELIVERY_TIMEOUT_S,
    GroupDelivery,
    GroupKey,
    TopicDelivery,
)

T = 30.0  # delivery timeout
TOPIC_A = b"a" * 16
TOPIC_B = b"b" * 16


def test_one_consumer_gets_every_offset_in_order() -> None:
    td = TopicDelivery(0)
    assert td.claim("c", end_offset=0, limit=10, now=0, timeout_s=T) == []
    assert td.claim("c", end_offset=5, limit=3, now=0, timeout_s=T) == [1, 2, 3]
    assert td.claim("c", end_offset=5, limit=3, now=0, timeout_s=T) == [4, 5]
    assert td.claim("c", end_offset=5, limit=3, now=0, timeout_s=T) == []
    assert td.in_flight() == td.in_flight("c") == 5
    for offset in range(1, 6):
        assert td.ack(offset, "c")
    assert td.committed == 5
    assert td.in_flight() == 0
    assert td.claim("c", end_offset=7, limit=0, now=0, timeout_s=T) == []
    assert td.claim("c", end_offset=7, limit=10, now=0, timeout_s=T) == [6, 7]


def test_starts_after_the_committed_offset() -> None:
    td = TopicDelivery(committed=40)
    assert td.committed == 40
    assert td.next_offset == 41
    assert td.claim("c", end_offset=42, limit=10, now=0, timeout_s=T) == [41, 42]


def test_competing_consumers_never_hold_the_same_offset() -> None:
    td = TopicDelivery(0)
    first = td.claim("c1", end_offset=10, limit=4, now=0, timeout_s=T)
    second = td.claim("c2", end_offset=10, limit=4, now=0, timeout_s=T)
    third = td.claim("c3", end_offset=10, limit=4, now=0, timeout_s=T)
    assert first == [1, 2, 3, 4]
    assert second == [5, 6, 7, 8]
    assert third == [9, 10]
    assert (td.in_flight("c1"), td.in_flight("c2"), td.in_flight("c3")) == (4, 4, 2)


def test_ack_advances_committed_only_over_contiguous_acks() -> None:
    td = TopicDelivery(0)
    td.claim("c", end_offset=6, limit=6, now=0, timeout_s=T)
    assert td.ack(3) and td.ack(2) and td.ack(5)
    assert td.committed == 0
    assert td.ack(1)
    assert td.committed == 3
    assert td.ack(6)
    assert td.committed == 3
    assert td.ack(4)
    assert td.committed == 6
    assert td.in_flight() == 0


def test_duplicate_unknown_and_foreign_acks_are_harmless() -> None:
    td = TopicDelivery(0)
    td.claim("c1", end_offset=2, limit=1, now=0, timeout_s=T)
    td.claim("c2", end_offset=2, limit=1, now=0, timeout_s=T)
    assert not td.ack(7)  # never delivered
    assert not td.ack(0)
    assert not td.ack(-1)
    assert not td.ack(2, "c1")  # in flight to someone else
    assert not td.nack(2, "c1")
    assert td.committed == 0 and td.in_flight() == 2
    assert td.ack(1, "c1")
    assert not td.ack(1, "c1")  # duplicate
    assert not td.ack(1)
    assert not td.nack(1)  # already settled
    assert td.committed == 1 and td.pending_redelivery() == 0


def test_nack_redelivers_first_and_possibly_to_another_consumer() -> None:
    td = TopicDelivery(0)
    assert td.claim("c1", end_offset=5, limit=3, now=0, timeout_s=T) == [1, 2, 3]
    assert td.nack(2, "c1")
    assert td.nack(1)
    assert td.pending_redelivery() == 2
    assert td.in_flight("c1") == 1
    assert td.claim("c2", end_offset=5, limit=3, now=0, timeout_s=T) == [1, 2, 4]
    assert td.pending_redelivery() == 0
    assert not td.ack(2, "c1")  # it belongs to c2 now
    assert td.ack(1, "c2") and td.ack(2, "c2") and td.ack(3, "c1")
    assert td.committed == 3


def test_expired_offsets_are_redelivered() -> None:
    td = TopicDelivery(0)
    td.claim("c1", end_offset=3, limit=2, now=100.0, timeout_s=10.0)
    td.claim("c2", end_offset=3, limit=1, now=105.0, timeout_s=10.0)
    assert td.next_deadline() == 110.0
    assert td.expire(109.9) == 0
    assert td.expire(110.0) == 2
    assert td.in_flight() == 1 and td.pending_redelivery() == 2
    assert td.next_deadline() == 115.0
    assert not td.ack(1, "c1")  # too late: it awaits redelivery
    assert td.claim("c2", end_offset=3, limit=5, now=111.0, timeout_s=10.0) == [1, 2]
    assert td.next_deadline() == 115.0
    assert td.expire(200.0) == 3
    assert td.next_deadline() is None


def test_release_redelivers_a_departed_consumers_offsets() -> None:
    td = TopicDelivery(0)
    td.claim("c1", end_offset=6, limit=3, now=0, timeout_s=T)
    td.claim("c2", end_offset=6, limit=3, now=0, timeout_s=T)
    td.ack(2, "c1")
    assert td.release("c1") == 2
    assert td.release("c1") == 0
    assert td.release("nobody") == 0
    assert td.in_flight() == 3 and td.pending_redelivery() == 2
    assert td.claim("c2", end_offset=6, limit=10, now=0, timeout_s=T) == [1, 3]
    for offset in (1, 3, 4, 5, 6):
        assert td.ack(offset, "c2")
    assert td.committed == 6


def test_max_in_flight_bounds_the_window() -> None:
    td = TopicDelivery(0, max_in_flight=4)
    assert td.claim("c1", end_offset=100, limit=10, now=0, timeout_s=T) == [1, 2, 3, 4]
    assert td.claim("c2", end_offset=100, limit=10, now=0, timeout_s=T) == []
    # Acks above an unacked offset do not widen the window: memory stays bounded.
    assert td.ack(2) and td.ack(3) and td.ack(4)
    assert td.claim("c2", end_offset=100, limit=10, now=0, timeout_s=T) == []
    assert td.ack(1)
    assert td.committed == 4
    assert td.claim("c2", end_offset=100, limit=10, now=0, timeout_s=T) == [5, 6, 7, 8]
    assert td.ack(5)
    assert td.claim("c1", end_offset=100, limit=10, now=0, timeout_s=T) == [9]
    assert td.in_flight() == 4


def test_lag() -> None:
    td = TopicDelivery(3)
    assert td.lag(10) == 7
    td.claim("c", end_offset=10, limit=2, now=0, timeout_s=T)
    assert td.lag(10) == 7  # delivered is not acked
    td.ack(4)
    assert td.lag(10) == 6
    assert td.lag(2) == 0


def test_skip_to_moves_an_idle_group() -> None:
    td = TopicDelivery(0)
    td.skip_to(50)
    assert td.committed == 50 and td.lag(50) == 0
    assert td.claim("c", end_offset=52, limit=10, now=0, timeout_s=T) == [51, 52]
    with pytest.raises(InvalidArgument, match="in flight"):
        td.skip_to(60)
    td.nack(51)
    td.ack(52)
    with pytest.raises(InvalidArgument, match="redelivery"):
        td.skip_to(60)
    td.claim("c", end_offset=52, limit=10, now=0, timeout_s=T)
    td.ack(51)
    assert td.committed == 52
    with pytest.raises(InvalidArgument, match="back"):
        td.skip_to(10)
    td.skip_to(52)
    assert td.committed == 52


def test_invalid_construction_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        TopicDelivery(-1)
    with pytest.raises(InvalidArgument):
        TopicDelivery(0, max_in_flight=0)


def test_group_delivery_tracks_topics() -> None:
    group = GroupDelivery(max_in_flight=8)
    assert group.delivery_timeout_s == DEFAULT_DELIVERY_TIMEOUT_S
    a = group.topic(TOPIC_A, committed_if_new=10)
    assert group.topic(TOPIC_A, committed_if_new=99) is a
    b = group.topic(TOPIC_B)
    assert a.max_in_flight == b.max_in_flight == 8
    assert a.claim("c1", end_offset=12, limit=5, now=0, timeout_s=5) == [11, 12]
    assert b.claim("c1", end_offset=3, limit=5, now=1, timeout_s=5) == [1, 2, 3]
    b.claim("c2", end_offset=3, limit=5, now=0, timeout_s=5)
    assert group.in_flight() == 5
    assert group.next_deadline() == 5
    a.ack(11)
    assert group.committed_offsets() == {TOPIC_A: 11, TOPIC_B: 0}
    assert group.expire(5.5) == 1
    assert group.release("c1") == 3
    assert group.in_flight() == 0 and group.next_deadline() is None
    group.forget_topic(TOPIC_B)
    group.forget_topic(TOPIC_B)
    assert group.committed_offsets() == {TOPIC_A: 11}


def test_group_key_uses_the_name_else_the_hex_id() -> None:
    project = b"p" * 16
    assert GroupKey.from_fields(project, "workers", b"\x01\x02") == GroupKey(project, "workers")
    assert GroupKey.from_fields(project, "", b"\xab\xcd").name == "abcd"
    with pytest.raises(InvalidArgument, match="needs a name or an id"):
        GroupKey.from_fields(project, "", b"")
    with pytest.raises(InvalidArgument, match="limit"):
        GroupKey.from_fields(project, "x" * 513)
    assert len({GroupKey(project, "a"), GroupKey(project, "a"), GroupKey(b"q" * 16, "a")}) == 2


@pytest.mark.parametrize("seed", range(8))
def test_random_consumers_get_every_offset_at_least_once(seed: int) -> None:
    """Consumers ack, nack, stall and disconnect at random while events keep arriving."""
    rng = random.Random(seed)
    max_in_flight = rng.choice([1, 3, 16, 64])
    timeout = 5.0
    td = TopicDelivery(0, max_in_flight=max_in_flight)
    holder: dict[int, tuple[str, float]] = {}  # the model: offset -> (consumer, deadline)
    held: dict[str, list[int]] = {f"c{i}": [] for i in range(4)}  # what each consumer received
    acked: set[int] = set()
    end, now, committed = 0, 0.0, 0

    def check() -> None:
        nonlocal committed
        assert td.committed >= committed, "committed moved backwards"
        committed = td.committed
        assert all(offset in acked for offset in range(1, committed + 1)), "passed an unacked"
        assert committed + 1 not in acked
        assert td.in_flight() == len(holder) <= max_in_flight
        assert td.next_offset - 1 - committed <= max_in_flight  # the bounded window
        for name in held:
            assert td.in_flight(name) == sum(1 for c, _ in holder.values() if c == name)

    def settle(name: str, offset: int, ok: bool) -> None:
        expected = holder.get(offset, ("", 0.0))[0] == name
        result = td.ack(offset, name) if ok else td.nack(offset, name)
        assert result == expected
        if expected:
            del holder[offset]
            if ok:
                acked.add(offset)

    for step in range(3000):
        now += rng.uniform(0, 0.5)
        name = rng.choice(list(held))
        action = rng.random()
        if step < 2500 and rng.random() < 0.4:
            end += rng.randint(1, 5)
        if action < 0.35:
            for offset in td.claim(name, end, rng.randint(1, 8), now, timeout):
                assert offset not in holder, "offset given to two consumers at once"
                assert offset not in acked
                holder[offset] = (name, now + timeout)
                held[name].append(offset)
        elif action < 0.75 and held[name]:
            offset = held[name].pop(rng.randrange(len(held[name])))
            settle(name, offset, ok=rng.random() < 0.85)
            if rng.random() < 0.1:
                settle(name, offset, ok=True)  # a duplicate ack
        elif action < 0.8:
            assert not td.ack(end + 1 + rng.randrange(10), name)  # never delivered
        elif action < 0.85:
            released = [o for o, (c, _) in holder.items() if c == name]
            assert td.release(name) == len(released)
            for offset in released:
                del holder[offset]
            held[name].clear()
        elif action < 0.9:
            expired = [o for o, (_, deadline) in holder.items() if deadline <= now]
            assert td.expire(now) == len(expired)
            for offset in expired:
                del holder[offset]
        check()

    # Drain: everyone now acks everything promptly, with expiry still running.
    for _ in range(100_000):
        if td.committed == end:
            break
        now += 1.0
        for offset in [o for o, (_, deadline) in holder.items() if deadline <= now]:
            del holder[offset]
        td.expire(now)
        for name in held:
            for offset in td.claim(name, end, 16, now, timeout):
                assert offset not in holder
                holder[offset] = (name, now + timeout)
            for offset in [o for o, (c, _) in holder.items() if c == name]:
                settle(name, offset, ok=True)
        check()
    assert td.committed == end
    assert acked == set(range(1, end + 1)), "an offset was never acked"
    assert td.in_flight() == td.pending_redelivery() == 0
    assert td.lag(end) == 0
