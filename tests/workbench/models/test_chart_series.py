"""The charts' ring buffers, without Qt: bounded memory, totals, windows, forgetting."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.client.records import MetricsSample, TopicRate
from workbench.models.chart_series import (
    ACK_P50,
    ACK_P99,
    BYTES_PER_SECOND,
    EVENTS_PER_SECOND,
    LAG,
    NO_GROUP,
    TOTAL,
    ChartSeries,
    RingBuffer,
)

T0 = 1_700_000_000.0


def rate(
    name: str,
    eps: float = 0.0,
    bps: float = 0.0,
    p50: float = 0.0,
    p99: float = 0.0,
    lags: dict[str, int] | None = None,
) -> TopicRate:
    return TopicRate(name.encode(), name, 0, 0, eps, bps, p50, p99, 0, lags or {})


def sample(t: float, *rates: TopicRate, history: bool = False) -> MetricsSample:
    return MetricsSample(int(t * 1000), list(rates), history)


def test_a_ring_buffer_keeps_the_newest_points_in_bounded_memory() -> None:
    buffer = RingBuffer(capacity=100)
    for i in range(1000):
        buffer.append(float(i), float(i) * 2)
        assert buffer.allocated <= 200
    t, y = buffer.arrays()
    assert len(buffer) == 100
    assert t.tolist() == [float(i) for i in range(900, 1000)]
    assert np.array_equal(y, t * 2)
    assert buffer.last_time() == 999.0


def test_arrays_handed_out_are_not_overwritten_later() -> None:
    buffer = RingBuffer(capacity=10)
    for i in range(10):
        buffer.append(float(i), float(i))
    t, _ = buffer.arrays()
    before = t.copy()
    for i in range(10, 100):
        buffer.append(float(i), float(i))
    assert np.array_equal(t, before)


def test_an_hour_of_samples_is_kept_and_no_more() -> None:
    series = ChartSeries()
    for i in range(5000):
        series.add_sample(sample(T0 + i, rate("orders", eps=i)))
    t, _ = series.window((EVENTS_PER_SECOND, "orders"), seconds=1e9)
    assert len(t) == 3600
    assert t[0] == T0 + 5000 - 3600 and t[-1] == T0 + 4999
    assert series.points((EVENTS_PER_SECOND, TOTAL)) == 3600


def test_totals_add_up_the_topics() -> None:
    series = ChartSeries()
    series.add_sample(sample(T0, rate("a", 10, 1000), rate("b", 5, 24)))
    series.add_sample(sample(T0 + 1))  # no topics: the totals are zero
    assert series.window((EVENTS_PER_SECOND, TOTAL), 60)[1].tolist() == [15.0, 0.0]
    assert series.window((BYTES_PER_SECOND, TOTAL), 60)[1].tolist() == [1024.0, 0.0]
    assert series.info((EVENTS_PER_SECOND, TOTAL)).topic is None
    assert series.info((EVENTS_PER_SECOND, "a")).topic == "a"
    assert series.topics() == ["a", "b"]


def test_a_topic_named_total_does_not_merge_with_the_total() -> None:
    series = ChartSeries()
    series.add_sample(sample(T0, rate("Total", 3), rate("x", 4)))
    assert series.window((EVENTS_PER_SECOND, TOTAL), 60)[1].tolist() == [7.0]
    assert series.window((EVENTS_PER_SECOND, "Total (topic)"), 60)[1].tolist() == [3.0]


def test_windows_are_rolling_views_ending_now() -> None:
    series = ChartSeries()
    for i in range(600):
        series.add_sample(sample(T0 + i, rate("orders", eps=1)))
    key = (EVENTS_PER_SECOND, "orders")
    assert len(series.window(key, 60)[0]) == 61  # both ends included
    assert len(series.window(key, 300)[0]) == 301
    assert len(series.window(key, 3600)[0]) == 600
    t, _ = series.window(key, 60, now=T0 + 100)
    assert t[0] == T0 + 40 and t[-1] == T0 + 100
    empty_t, empty_y = series.window((EVENTS_PER_SECOND, "nope"), 60)
    assert len(empty_t) == len(empty_y) == 0


def test_latency_and_lag_series() -> None:
    series = ChartSeries()
    series.add_sample(sample(T0, rate("orders", p50=1.5, p99=9.0, lags={"billing": 7, "": 2})))
    series.add_sample(sample(T0 + 1, rate("orders", lags={"billing": 9})))  # no acks this second
    assert series.window((ACK_P50, "orders"), 60)[1].tolist() == [1.5]
    assert series.window((ACK_P99, "orders"), 60)[1].tolist() == [9.0]
    assert series.window((LAG, "orders/billing"), 60)[1].tolist() == [7.0, 9.0]
    assert (LAG, f"orders/{NO_GROUP}") in series
    assert series.info((LAG, "orders/billing")).topic == "orders"
    assert series.value_at((LAG, "orders/billing"), T0 + 1.4) == 9.0
    assert series.value_at((LAG, "orders/billing"), T0 + 10) is None
    assert series.value_at((LAG, "orders/billing"), T0 - 1) is None


def test_topics_that_disappear_are_dropped_after_a_while() -> None:
    series = ChartSeries(forget_after_s=120)
    series.add_sample(sample(T0, rate("gone", 1), rate("stays", 1)))
    keys_version = series.keys_version
    for i in range(1, 400):
        series.add_sample(sample(T0 + i, rate("stays", 1)))
    assert (EVENTS_PER_SECOND, "gone") not in series
    assert (EVENTS_PER_SECOND, "stays") in series
    assert series.topics() == ["stays"]
    assert series.keys_version > keys_version


def test_old_or_repeated_samples_are_ignored_and_clear_starts_over() -> None:
    series = ChartSeries()
    assert series.add_sample(sample(T0, rate("a", 1), history=True))
    assert not series.add_sample(sample(T0, rate("a", 1)))
    assert not series.add_sample(sample(T0 - 5, rate("a", 1)))
    assert series.points((EVENTS_PER_SECOND, "a")) == 1
    series.clear()
    assert len(series) == 0 and series.latest is None
    assert series.add_sample(sample(T0 - 5, rate("a", 1)))


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)
