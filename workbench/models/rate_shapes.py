"""Rate shapes for the event generator: how many events are due after so many seconds.

A shape gives a target rate in events per second at every moment of a run; a generator paces
itself by the integral of that rate (:meth:`RateShape.due`), so a slow moment is made up later and
the achieved count follows the shape however the batches fall. A rate of 0 means "as fast as the
broker acknowledges": :attr:`RateShape.unlimited`.

- constant ``rate``
- ramp from ``rate`` to ``to_rate`` over ``period_s`` seconds, then ``to_rate``
- burst: ``burst`` events at once every ``period_s`` seconds (the first burst at 0 s)
- sine: ``rate`` + ``amplitude`` * sin(2 pi t / ``period_s``), never below 0
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class ShapeKind(enum.StrEnum):
    """The kinds of rate shapes."""

    CONSTANT = "constant"
    RAMP = "ramp"
    BURST = "burst"
    SINE = "sine"


@dataclass(frozen=True, slots=True)
class RateShape:
    """A target rate over time.

    Attributes:
        kind: which shape.
        rate: events per second (constant; a ramp's start; a sine's mean). 0 for a constant
            shape means unlimited.
        to_rate: a ramp's final rate, events per second.
        period_s: a ramp's duration, a burst's interval, a sine's period, in seconds.
        amplitude: a sine's amplitude, events per second.
        burst: events per burst.
    """

    kind: ShapeKind = ShapeKind.CONSTANT
    rate: float = 0.0
    to_rate: float = 0.0
    period_s: float = 1.0
    amplitude: float = 0.0
    burst: int = 0

    def __post_init__(self) -> None:
        if min(self.rate, self.to_rate, self.amplitude, self.burst) < 0:
            raise ValueError("rates, amplitudes and burst sizes cannot be negative")
        if self.kind is not ShapeKind.CONSTANT and self.period_s <= 0:
            raise ValueError(f"a {self.kind} shape needs a period above 0 seconds")
        if self.kind is ShapeKind.BURST and self.burst < 1:
            raise ValueError("a burst shape needs at least 1 event per burst")
        if self.kind is ShapeKind.RAMP and self.rate == self.to_rate == 0:
            raise ValueError("a ramp needs a rate above 0 at one of its ends")
        if self.kind is ShapeKind.SINE and self.rate <= 0:
            raise ValueError("a sine shape needs a mean rate above 0")

    @property
    def unlimited(self) -> bool:
        """True when events go as fast as the broker acknowledges them."""
        return self.kind is ShapeKind.CONSTANT and self.rate == 0

    def rate_at(self, t: float) -> float:
        """The target rate at ``t`` seconds into the run, in events per second (inf: unlimited;
        a burst shape answers its average rate)."""
        kind = self.kind
        if kind is ShapeKind.CONSTANT:
            return math.inf if self.rate == 0 else self.rate
        if kind is ShapeKind.RAMP:
            if t >= self.period_s:
                return self.to_rate
            return self.rate + (self.to_rate - self.rate) * max(0.0, t) / self.period_s
        if kind is ShapeKind.BURST:
            return self.burst / self.period_s
        return max(0.0, self.rate + self.amplitude * math.sin(2 * math.pi * t / self.period_s))

    def due(self, t: float) -> float:
        """Events due in total by ``t`` seconds into the run (inf when unlimited)."""
        t = max(0.0, t)
        kind = self.kind
        if kind is ShapeKind.CONSTANT:
            return math.inf if self.rate == 0 else self.rate * t
        if kind is ShapeKind.RAMP:
            ramp = min(t, self.period_s)
            slope = (self.to_rate - self.rate) / self.period_s
            within = self.rate * ramp + slope * ramp * ramp / 2
            return within + self.to_rate * max(0.0, t - self.period_s)
        if kind is ShapeKind.BURST:
            return float(self.burst * (math.floor(t / self.period_s) + 1))
        if self.amplitude <= self.rate:  # never clipped at 0: the integral in closed form
            w = 2 * math.pi / self.period_s
            return self.rate * t + self.amplitude * (1 - math.cos(w * t)) / w
        # Clipped at 0: whole periods, then the part of one, integrated numerically.
        whole, part = divmod(t, self.period_s)
        return whole * self._integral(self.period_s) + self._integral(part)

    def sent_by(self, t: float) -> float:
        """Events a run following this shape has sent by ``t`` seconds (inf when unlimited).

        Event ``k`` (from 0) goes out when :meth:`due` reaches ``k``: the first at the start,
        so ``r`` events/s for ``d`` seconds send ``ceil(r * d)`` events (10/s for 2 s: 20, at
        0, 0.1 … 1.9 s). A burst's events all go out at the start of its period.
        """
        due = self.due(t)
        if self.kind is ShapeKind.BURST or math.isinf(due):
            return due
        return float(math.floor(due + 1e-9) + 1)  # + 1e-9: 2.9999999 from float sums is 3

    def _integral(self, t: float, steps: int = 1000) -> float:
        """The integral of :meth:`rate_at` from 0 to ``t`` (within one period), midpoint rule."""
        width = t / steps
        return sum(self.rate_at((i + 0.5) * width) for i in range(steps)) * width

    def describe(self) -> str:
        """The shape in a few words, e.g. 'ramp 100 → 1,000/s over 60 s'."""
        if self.unlimited:
            return "as fast as acknowledged"
        if self.kind is ShapeKind.CONSTANT:
            return f"{self.rate:,.0f}/s"
        if self.kind is ShapeKind.RAMP:
            return f"ramp {self.rate:,.0f} → {self.to_rate:,.0f}/s over {self.period_s:g} s"
        if self.kind is ShapeKind.BURST:
            return f"{self.burst:,} every {self.period_s:g} s"
        return f"sine {self.rate:,.0f} ± {self.amplitude:,.0f}/s, period {self.period_s:g} s"
