"""When to try a broker again: the backoff, and which failures are worth another try."""

from __future__ import annotations

from workbench.client.errors import (
    AuthError,
    ClientError,
    InvalidInput,
    KeyRefused,
    PermissionError_,
    Unavailable,
)
from workbench.models.reconnect import backoff_s, worth_retrying


def test_tries_wait_1_s_then_twice_as_long_each_time_up_to_30_s() -> None:
    assert [backoff_s(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert backoff_s(0) == 1


def test_only_failures_that_may_pass_by_themselves_are_tried_again() -> None:
    assert worth_retrying(Unavailable("the broker at 127.0.0.1:5356 is not reachable"))
    assert worth_retrying(ClientError("DEADLINE_EXCEEDED"))
    for needs_a_person in (
        AuthError("bad token"),
        KeyRefused("unknown key"),
        PermissionError_("no topics:read"),
        InvalidInput("bad address"),
    ):
        assert not worth_retrying(needs_a_person)
    assert not worth_retrying(None)
    assert not worth_retrying(OSError("certificate file missing"))
