"""Rate shapes: the events due at each moment follow the shape's rate."""

from __future__ import annotations

import math

import pytest

from workbench.models.rate_shapes import RateShape, ShapeKind


def test_constant_and_unlimited() -> None:
    shape = RateShape(rate=1000)
    assert shape.due(0) == 0 and shape.due(2.5) == 2500 and shape.rate_at(7) == 1000
    unlimited = RateShape()
    assert unlimited.unlimited and math.isinf(unlimited.due(1)) and math.isinf(unlimited.rate_at(0))


@pytest.mark.parametrize(
    ("rate", "seconds", "sent"), [(1, 1, 1), (1, 3, 3), (10, 2, 20), (1000, 2, 2000), (0.001, 5, 1)]
)
def test_a_run_sends_its_first_event_at_the_start_and_rate_times_duration_in_all(
    rate: float, seconds: float, sent: int
) -> None:
    shape = RateShape(rate=rate)
    assert shape.sent_by(0) == 1, "nothing to wait for before the first event"
    just_before_the_end = seconds - 1e-6
    assert shape.sent_by(just_before_the_end) == sent


def test_a_burst_sends_its_events_at_the_start_of_each_period() -> None:
    burst = RateShape(ShapeKind.BURST, burst=50, period_s=2)
    assert [burst.sent_by(t) for t in (0, 1.9, 2)] == [50, 50, 100]


def test_a_ramp_integrates_its_rate_then_holds_the_end_rate() -> None:
    ramp = RateShape(ShapeKind.RAMP, rate=100, to_rate=300, period_s=10)
    assert ramp.rate_at(0) == 100 and ramp.rate_at(5) == 200 and ramp.rate_at(20) == 300
    assert ramp.due(10) == pytest.approx(2000)  # the mean rate 200 for 10 s
    assert ramp.due(12) == pytest.approx(2600)


def test_bursts_come_at_the_start_of_each_period() -> None:
    burst = RateShape(ShapeKind.BURST, burst=50, period_s=2)
    assert [burst.due(t) for t in (0, 1.9, 2, 5.5)] == [50, 50, 100, 150]
    assert burst.rate_at(3) == 25


@pytest.mark.parametrize("amplitude", [50, 300])  # unclipped, and clipped at 0
def test_a_sine_matches_its_numeric_integral(amplitude: float) -> None:
    sine = RateShape(ShapeKind.SINE, rate=200, amplitude=amplitude, period_s=4)
    steps = 40_000
    numeric = sum(sine.rate_at((i + 0.5) * 10 / steps) for i in range(steps)) * 10 / steps
    assert sine.due(10) == pytest.approx(numeric, rel=1e-3)
    assert min(sine.rate_at(t / 10) for t in range(40)) >= 0
    if amplitude <= 200:  # unclipped: whole periods send the mean rate
        assert sine.due(8) == pytest.approx(1600, rel=1e-3)
    else:  # the clipped troughs send nothing rather than a negative amount
        assert sine.due(8) > 1600


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate": -1},
        {"kind": ShapeKind.BURST, "period_s": 1},
        {"kind": ShapeKind.RAMP, "period_s": 0, "rate": 1},
        {"kind": ShapeKind.SINE, "rate": 0, "amplitude": 5},
    ],
)
def test_impossible_shapes_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RateShape(**kwargs)  # type: ignore[arg-type]
