"""The capture loop with a scripted source and broker: a position is confirmed only after the
broker acknowledged everything before it, in every topic, and a failed batch is sent again first."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import pytest

from change_capture.broker_link import BrokerError
from change_capture.capture_loop import Boundary, CaptureFailed, CaptureLoop, CaptureStatus
from change_capture.change_events import Change


class Answer:
    """A publish call the test answers: done or not, ok or an error."""

    def __init__(self, topic_id: bytes, events: list[bytes]) -> None:
        self.topic_id, self.events = topic_id, events
        self.error: BrokerError | None = None
        self.answered = False
        self.callbacks: list[Any] = []

    def done(self) -> bool:
        return self.answered

    def add_done_callback(self, callback: Any) -> None:
        self.callbacks.append(callback)

    def answer(self, error: BrokerError | None = None) -> None:
        self.error, self.answered = error, True
        for callback in self.callbacks:
            callback(self)


class Link:
    def __init__(self) -> None:
        self.calls: list[Answer] = []

    def publish(self, topic_id: bytes, events: list[bytes]) -> Answer:
        self.calls.append(Answer(topic_id, events))
        return self.calls[-1]

    def publish_result(self, future: Answer) -> int:
        if future.error is not None:
            raise future.error
        return 0


class Source:
    def __init__(self) -> None:
        self.items: deque[list[Change | Boundary]] = deque()
        self.confirmed: list[object] = []

    def read(self, wait_s: float, limit: int) -> list[Change | Boundary]:
        return self.items.popleft() if self.items else []

    def confirm(self, token: object) -> None:
        self.confirmed.append(token)

    def keep_alive(self) -> None:
        pass

    def reopen(self) -> None:
        pass

    def position_text(self, token: object) -> str:
        return str(token)

    def behind(self) -> tuple[int, str]:
        return 0, "bytes"

    def open(self) -> None:
        pass

    def describe(self) -> str:
        return "scripted"

    def close(self) -> None:
        pass


def change(table: str, n: int) -> Change:
    return Change("insert", "public", table, None, {"id": n}, "0/10", n, 1, None, 0)


def make_loop(source: Source, link: Link) -> CaptureLoop:
    reports: list[CaptureStatus] = []
    return CaptureLoop(
        source,
        link,  # type: ignore[arg-type]
        {"public.a": b"A", "public.b": b"B"},
        lambda c: c.qualified_table,
        reports.append,
        batch_size=2,
    )


def test_a_boundary_is_confirmed_once_every_topic_acknowledged_what_came_before() -> None:
    source, link = Source(), Link()
    loop = make_loop(source, link)
    source.items.append(
        [change("a", 1), change("b", 2), Boundary(100), change("a", 3), Boundary(200)]
    )
    loop.step()  # a full read: only full batches go
    assert [(c.topic_id, len(c.events)) for c in link.calls] == [(b"A", 2)]
    loop.step()  # the source ran dry: the rest goes too
    assert [(c.topic_id, len(c.events)) for c in link.calls] == [(b"A", 2), (b"B", 1)]
    link.calls[1].answer()  # topic b has its change; topic a has not
    loop.step()
    assert source.confirmed == []
    link.calls[0].answer()  # a's batch held changes 1 and 3: both boundaries are safe
    loop.step()
    assert source.confirmed == [200]
    assert loop.status().changes == 3 and loop.status().position == "200"


def test_a_failed_batch_is_sent_again_before_anything_after_it() -> None:
    source, link = Source(), Link()
    loop = make_loop(source, link)
    source.items.append([change("a", 1), change("a", 2), Boundary(100)])
    loop.step()
    source.items.append([change("a", 3), Boundary(200)])
    link.calls[0].answer(BrokerError("the broker at x is not reachable", retryable=True))
    loop.step()
    assert loop.status().state == "waiting for the broker"
    deadline = time.monotonic() + 5  # the first retry comes 0.2 s later
    while len(link.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
        loop.step()
    assert link.calls[1].events == link.calls[0].events  # the same batch, first
    assert source.confirmed == []
    link.calls[1].answer()
    loop.step()
    assert source.confirmed == [100]
    assert link.calls[2].events and len(link.calls[2].events) == 1  # then change 3
    link.calls[2].answer()
    loop.step()
    assert source.confirmed == [100, 200]
    assert loop.status().state == "capturing"


def test_a_refusal_for_good_ends_the_capture() -> None:
    source, link = Source(), Link()
    loop = make_loop(source, link)
    source.items.append([change("a", 1), Boundary(100)])
    loop.step()
    link.calls[0].answer(BrokerError("PERMISSION_DENIED: publisher needed", retryable=False))
    with pytest.raises(CaptureFailed, match="publisher needed"):
        loop.step()
    assert source.confirmed == []
