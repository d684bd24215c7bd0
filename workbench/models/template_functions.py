"""The names an event template's expressions may use, with one run's state.

``counter``, ``walk`` and ``cycle`` keep state per *call site*: each place the name is called in
the template has its own count, walk or position, carried from event to event. The compiler tells
the function which site called it (a hidden keyword ``_site``); a function called through another
name (``{% set c = counter %}``) shares one site per function.

All randomness comes from one :class:`random.Random` per run, seeded by the template's seed (or by
the operating system without one), so a seeded run repeats exactly: ``randint``, ``uniform``,
``choice``, ``normal``, ``walk``, ``uuid4``, the random part of ``ulid`` and every Faker value.
``now()``, ``now_ms()`` and the time part of ``ulid()`` read the clock.

Faker values come from pools: the first :data:`FAKER_POOL_SIZE` calls of a provider with given
arguments make fresh values, later calls pick one of those at random, so values repeat (use
``uuid4()``/``ulid()``/``counter()`` for unique ids). Faker is loaded on first use.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import itertools
import math
import random
import time
import uuid
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any, Final

from ulid import ULID

from workbench.models.template_sandbox import (
    MAX_VALUE_SIZE,
    SandboxRefusal,
    TemplateNamespace,
    check_arguments,
    value_size,
)

DEFAULT_LOCALE: Final = "en_US"
FAKER_POOL_SIZE: Final = 1000
"""Distinct values drawn ahead per Faker provider and arguments."""
FAKER_POOL_CHARS: Final = 1024 * 1024
"""A pool stops growing at this size (in ``value_size`` units), before it has its 1,000 values."""
MAX_FAKER_POOLS: Final = 1000
"""Provider-and-arguments pairs pooled per run; values of further pairs are made afresh."""
MAX_FAKER_NUMBER: Final = 10_000
"""Integer arguments to Faker providers at most this in magnitude (counts and lengths multiply)."""
DENIED_PROVIDERS: Final = frozenset(
    {
        # they parse format strings naming other providers (reaching Faker's generator)
        "pystr_format", "json", "json_bytes", "xml", "csv", "tsv", "psv", "dsv", "fixed_width",
        # binary archives and images, objects rather than values, sizes that multiply
        "zip", "tar", "image", "enum", "time_series", "texts",
    }
)  # fmt: skip
"""Public Faker provider methods that templates may not call."""

_SITE_FUNCTIONS: Final = frozenset(
    {"counter", "walk", "cycle", "wave", "curve", "drift", "ledger", "stage"}
)
MAX_KEYS_PER_SITE: Final = 10_000
"""Keys (accounts, shipments …) one ``ledger`` or ``stage`` call site keeps state for."""
_PLAIN_TYPES: Final = (
    str, int, float, bool, type(None), Decimal, datetime.date, datetime.time,
    datetime.timedelta, uuid.UUID, bytes,
)  # fmt: skip


def site_functions() -> frozenset[str]:
    """The names whose state is kept per call site (the compiler marks their calls)."""
    return _SITE_FUNCTIONS


class TemplateFunctions:
    """One run's template functions and their state.

    Args:
        seed: makes every random value reproducible; None draws a seed from the system.
        locale: Faker's locale, e.g. ``"de_DE"``.
    """

    def __init__(self, seed: int | None = None, locale: str = DEFAULT_LOCALE) -> None:
        self.random = random.Random(seed)
        self._counters: dict[Hashable, Any] = {}
        self._walks: dict[Hashable, Any] = {}
        self._cycles: dict[Hashable, int] = {}
        self._ticks: dict[Hashable, int] = {}
        self._keyed: dict[Hashable, dict[Any, Any]] = {}
        self._second = -1
        self._second_text = ""
        self.faker = FakerValues(locale, self.random.getrandbits(64), self.random)

    def names(self) -> dict[str, Any]:
        """What templates see: each function by name, and ``faker``."""
        return {
            "counter": self.counter,
            "uuid4": self.uuid4,
            "ulid": self.ulid,
            "now": self.now,
            "now_ms": self.now_ms,
            "randint": self.randint,
            "uniform": self.uniform,
            "choice": self.choice,
            "normal": self.normal,
            "walk": self.walk,
            "cycle": self.cycle,
            "wave": self.wave,
            "curve": self.curve,
            "drift": self.drift,
            "spike": self.spike,
            "ledger": self.ledger,
            "stage": self.stage,
            "faker": self.faker,
        }

    def filters(self) -> dict[str, Callable[..., Any]]:
        """Filters that need the run's random numbers: ``random`` (a seeded pick from a list)."""
        return {"random": self.choice}

    # -- counting and cycling (state per call site) ---------------------------------------------

    def counter(self, start: float = 1, step: float = 1, *, _site: Hashable = "counter") -> Any:
        """``start``, then ``start + step``, … one number per call, counted per call site."""
        value = self._counters.get(_site)
        if value is None:
            _require_numbers("counter", start=start, step=step)
            value = start
        else:
            value += step
        self._counters[_site] = value
        return value

    def walk(
        self,
        start: float,
        step: float,
        low: float | None = None,
        high: float | None = None,
        *,
        _site: Hashable = "walk",
    ) -> Any:
        """A random walk per call site: ``start``, then each call moves by up to ``step`` either
        way (a whole number when ``start`` and ``step`` are whole), kept within [low, high]."""
        value = self._walks.get(_site)
        if value is None:
            _require_numbers("walk", start=start, step=step)
            bounds = {k: v for k, v in (("low", low), ("high", high)) if v is not None}
            _require_numbers("walk", **bounds)
            if low is not None and high is not None and low > high:
                raise ValueError(f"walk() needs low <= high, not {low!r} > {high!r}")
            value = start
        elif type(value) is int and type(step) is int:
            value += self.random.randint(-step, step)
        else:
            value += self.random.uniform(-step, step)
        if low is not None and value < low:
            value = low
        if high is not None and value > high:
            value = high
        self._walks[_site] = value
        return value

    def cycle(self, values: Sequence[Any], *, _site: Hashable = "cycle") -> Any:
        """The values in turn, one per call, starting again after the last; per call site."""
        _require_values("cycle", values)
        position = self._cycles.get(_site, 0)
        self._cycles[_site] = position + 1
        return values[position % len(values)]

    # -- shapes over the run (state per call site) ---------------------------------------------

    def _tick(self, site: Hashable) -> int:
        """0, 1, 2 …: how many times this call site ran before."""
        n = self._ticks.get(site, -1) + 1
        self._ticks[site] = n
        return n

    def wave(
        self,
        mean: float,
        amplitude: float,
        period: float,
        noise: float = 0,
        *,
        _site: Hashable = "wave",
    ) -> float:
        """``mean + amplitude * sin(2 pi n / period)`` for the n-th call of this site (period in
        events), plus normal noise of standard deviation ``noise``."""
        _require_numbers("wave", mean=mean, amplitude=amplitude, period=period, noise=noise)
        if period <= 0 or noise < 0:
            raise ValueError("wave() needs a period above 0 and noise >= 0")
        n = self._tick(_site)
        value = mean + amplitude * math.sin(2 * math.pi * n / period)
        return value + self.random.gauss(0, noise) if noise else value

    def curve(
        self,
        points: Sequence[Sequence[float]],
        period: float | None = None,
        noise: float = 0,
        *,
        _site: Hashable = "curve",
    ) -> float:
        """A piecewise-linear curve over this site's calls: ``points`` are ``[n, value]`` pairs
        with n rising (events); between them the value is interpolated, before the first and
        after the last it holds; with ``period`` the curve starts again every ``period`` events.
        Plus normal noise of standard deviation ``noise``. E.g. a workout's heart rate:
        ``curve([[0, 70], [300, 150], [900, 165], [1200, 90]], period=1200, noise=2)``."""
        _check_points(points)
        if period is not None:
            _require_numbers("curve", period=period)
            if period <= 0:
                raise ValueError("curve() needs a period above 0")
        _require_numbers("curve", noise=noise)
        n: float = self._tick(_site)
        if period is not None:
            n %= period
        value = _interpolate(points, n)
        return value + self.random.gauss(0, noise) if noise else value

    def drift(self, start: float, step: float, *, _site: Hashable = "drift") -> float:
        """``start + n * step`` for the n-th call of this site: a slow, steady drift."""
        _require_numbers("drift", start=start, step=step)
        return start + self._tick(_site) * step

    def spike(self, chance: float, height: float, base: float = 0) -> float:
        """``base + height`` with probability ``chance`` (0 to 1), else ``base``: rare spikes."""
        _require_numbers("spike", chance=chance, height=height, base=base)
        if not 0 <= chance <= 1:
            raise ValueError(f"spike() needs a chance from 0 to 1, not {chance!r}")
        return base + height if self.random.random() < chance else base

    def _state(self, site: Hashable, key: Any, function: str) -> dict[Any, Any]:
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise ValueError(f"{function}() needs a text or whole-number key, not {key!r}")
        states = self._keyed.setdefault(site, {})
        if key not in states and len(states) >= MAX_KEYS_PER_SITE:
            raise ValueError(f"{function}() keeps at most {MAX_KEYS_PER_SITE:,} keys")
        return states

    def ledger(
        self, key: Any, amount: float, start: float = 0, *, _site: Hashable = "ledger"
    ) -> dict[str, Any]:
        """A running balance per ``key`` (an account): ``{"key", "before", "amount", "after"}``,
        ``after = before + amount``; a key starts at ``start``. Amounts are rounded to cents."""
        _require_numbers("ledger", amount=amount, start=start)
        states = self._state(_site, key, "ledger")
        before = states.get(key, round(float(start), 2))
        after = round(before + amount, 2)
        states[key] = after
        return {"key": key, "before": before, "amount": round(amount, 2), "after": after}

    def stage(
        self, key: Any, stages: Sequence[Any], *, _site: Hashable = "stage"
    ) -> dict[str, Any]:
        """The next of ``stages`` for ``key`` (a shipment), in order, starting again after the
        last: ``{"key", "stage", "step", "steps"}`` (``step`` counts from 1)."""
        _require_values("stage", stages)
        states = self._state(_site, key, "stage")
        step = states.get(key, -1) + 1
        if step >= len(stages):
            step = 0
        states[key] = step
        return {"key": key, "stage": stages[step], "step": step + 1, "steps": len(stages)}

    # -- ids and time ---------------------------------------------------------------------------

    def uuid4(self) -> str:
        """A random (version 4) UUID as 36 characters of text, from the run's random numbers."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def ulid(self) -> str:
        """A ULID as 26 characters of text: the clock's milliseconds, then 80 random bits."""
        ms = time.time_ns() // 1_000_000
        return str(ULID.from_bytes(ms.to_bytes(6, "big") + self.random.randbytes(10)))

    def now(self) -> str:
        """The time as RFC 3339 text in UTC with milliseconds: ``2026-11-29T12:00:00.123Z``."""
        second, ms = divmod(time.time_ns() // 1_000_000, 1000)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{ms:03d}Z"

    def now_ms(self) -> int:
        """The time in milliseconds since the Unix epoch."""
        return time.time_ns() // 1_000_000

    # -- random numbers and picks ---------------------------------------------------------------

    def randint(self, a: int, b: int) -> int:
        """A whole number from ``a`` to ``b``, both included."""
        if type(a) is not int or type(b) is not int or a > b:
            raise ValueError(f"randint(a, b) needs whole numbers a <= b, not {a!r} and {b!r}")
        return self.random.randint(a, b)

    def uniform(self, a: float, b: float) -> float:
        """A number from ``a`` to ``b`` (floating point; ``b`` may come out through rounding)."""
        _require_numbers("uniform", a=a, b=b)
        return self.random.uniform(a, b)

    def normal(self, mu: float, sigma: float) -> float:
        """A number from the normal distribution with mean ``mu`` and standard deviation
        ``sigma`` (>= 0)."""
        _require_numbers("normal", mu=mu, sigma=sigma)
        if sigma < 0:
            raise ValueError(f"normal(mu, sigma) needs sigma >= 0, not {sigma!r}")
        return self.random.gauss(mu, sigma)

    def choice(self, values: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        """One of ``values`` at random; with ``weights`` (one non-negative number per value,
        not all zero) each is picked in proportion to its weight."""
        _require_values("choice", values)
        if weights is None:
            return values[int(self.random.random() * len(values))]
        if (
            not isinstance(weights, (list, tuple))
            or len(weights) != len(values)
            or not all(type(w) in (int, float) and w >= 0 for w in weights)
            or not sum(weights) > 0
        ):
            raise ValueError(
                "choice(values, weights) needs one weight >= 0 per value, not all of them 0"
            )
        return self.random.choices(values, weights)[0]


def _require_numbers(function: str, **arguments: Any) -> None:
    for name, value in arguments.items():
        if type(value) not in (int, float):
            raise ValueError(f"{function}() needs a number for {name}, not {value!r}")


def _check_points(points: Any) -> None:
    if not isinstance(points, (list, tuple)) or not points:
        raise ValueError("curve() needs a list of [n, value] points")
    previous = None
    for point in points:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise ValueError(f"curve() points are [n, value] pairs, not {point!r}")
        _require_numbers("curve", n=point[0], value=point[1])
        if previous is not None and point[0] <= previous:
            raise ValueError("curve() needs its points' n to rise")
        previous = point[0]


def _interpolate(points: Sequence[Sequence[float]], n: float) -> float:
    if n <= points[0][0]:
        return float(points[0][1])
    for (n0, v0), (n1, v1) in itertools.pairwise(points):
        if n <= n1:
            return float(v0 + (v1 - v0) * (n - n0) / (n1 - n0))
    return float(points[-1][1])


def _require_values(function: str, values: Any) -> None:
    if not isinstance(values, (list, tuple, str, range)) or not values:
        raise ValueError(f"{function}() needs a list of at least one value, not {values!r}")


class FakerValues(TemplateNamespace):
    """``faker`` in templates: Faker's public providers (``faker.name()``), values from pools.

    Only provider methods are reachable (not Faker's generator, its random or its internals);
    integer arguments are bounded by :data:`MAX_FAKER_NUMBER`; a provider must return plain data
    (text, numbers, dates, UUIDs, bytes and lists or dicts of those).
    """

    __slots__ = ("_generator", "_locale", "_pools", "_providers", "_random", "_seed")

    def __init__(self, locale: str, seed: int, rng: random.Random) -> None:
        self._locale = locale
        self._seed = seed
        self._random = rng
        self._generator: Any = None
        self._providers: dict[str, FakerProvider] = {}
        self._pools: dict[Hashable, _Pool] = {}

    def __repr__(self) -> str:
        return f"<faker {self._locale}>"

    def __getattr__(self, name: str) -> FakerProvider:
        # Jinja2's attr and map filters look attributes up with Python's getattr.
        if name.startswith("_"):
            raise AttributeError(name)
        return self._template_attribute(name)

    def _template_attribute(self, name: str) -> FakerProvider:
        provider = self._providers.get(name)
        if provider is None:
            check_provider_name(name, self._locale)
            provider = self._providers[name] = FakerProvider(self, name)
        return provider

    def _pool(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Pool | None:
        key: Hashable
        try:
            key = (name, args, tuple(sorted(kwargs.items())))
            pool = self._pools.get(key)
        except TypeError:  # unhashable arguments (a list): their text is the key
            key = repr((name, args, sorted(kwargs.items())))
            pool = self._pools.get(key)
        if pool is None and len(self._pools) < MAX_FAKER_POOLS:
            check_faker_arguments(name, args, kwargs)
            pool = self._pools[key] = _Pool()
        return pool

    def _make(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._generator is None:
            self._generator = _new_generator(self._locale, self._seed)
        try:
            value = getattr(self._generator, name)(*args, **kwargs)
        except (SandboxRefusal, MemoryError):
            raise
        except Exception as exc:
            raise ValueError(f"faker.{name}(): {exc}") from None
        _check_plain(name, value)
        return value


class FakerProvider:
    """One Faker provider as templates call it (a pooled value per call)."""

    __slots__ = ("_name", "_values")

    def __init__(self, values: FakerValues, name: str) -> None:
        self._values = values
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        values = self._values
        pool = values._pool(self._name, args, kwargs)
        if pool is None:  # too many different arguments to pool them all
            check_faker_arguments(self._name, args, kwargs)
            return values._make(self._name, args, kwargs)
        if pool.growing:
            return pool.add(values._make(self._name, args, kwargs))
        chosen = pool.values
        return chosen[int(values._random.random() * len(chosen))]


class _Pool:
    """Values of one provider and arguments: fresh ones until it is full, then picks."""

    __slots__ = ("chars", "growing", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.chars = 0
        self.growing = True

    def add(self, value: Any) -> Any:
        self.values.append(value)
        self.chars += value_size(value)
        self.growing = len(self.values) < FAKER_POOL_SIZE and self.chars < FAKER_POOL_CHARS
        return value


def check_provider_name(name: str, locale: str) -> None:
    """Refuse a name that is not a public Faker provider method for ``locale``.

    Raises:
        SandboxRefusal: naming the closest providers.
    """
    names = provider_names(locale)
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        why = "is not allowed in templates" if name in DENIED_PROVIDERS else "is not a provider"
        raise SandboxRefusal(f"faker.{name} {why} (faker offers only its providers){hint}")


@functools.cache
def provider_names(locale: str) -> frozenset[str]:
    """The public provider methods templates may call for ``locale`` (Faker's, less the denied)."""
    generator = _new_generator(locale, 0)
    return frozenset(
        name
        for provider in generator.get_providers()
        for name in dir(provider)
        if not name.startswith("_")
        and name not in DENIED_PROVIDERS
        and callable(getattr(provider, name))
    )


def available_locales() -> frozenset[str]:
    """Faker's locales (``en_US``, ``de_DE``, …)."""
    from faker.config import AVAILABLE_LOCALES

    return frozenset(AVAILABLE_LOCALES)


def _new_generator(locale: str, seed: int) -> Any:
    from faker import Factory

    generator = Factory.create(locale)
    generator.seed_instance(seed)
    return generator


def check_faker_arguments(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse arguments that are too large for a Faker provider.

    Raises:
        SandboxRefusal: for arguments larger than the sandbox allows, or an integer beyond
            :data:`MAX_FAKER_NUMBER`.
    """
    check_arguments(f"faker.{name}()", args, kwargs)
    for value in (*args, *kwargs.values()):
        if type(value) is int and abs(value) > MAX_FAKER_NUMBER:
            raise SandboxRefusal(
                f"faker.{name}(): numbers passed to Faker are at most {MAX_FAKER_NUMBER:,} "
                f"(not {value:,}); use randint() or uniform() for larger ones"
            )


def _check_plain(name: str, value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif not isinstance(item, _PLAIN_TYPES):
            raise SandboxRefusal(
                f"faker.{name}() gave a {type(item).__name__}, which templates cannot use"
            )
    if value_size(value) > MAX_VALUE_SIZE:
        raise SandboxRefusal(f"faker.{name}() gave more than {MAX_VALUE_SIZE:,} characters")
