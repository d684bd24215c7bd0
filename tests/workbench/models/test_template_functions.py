"""Template functions: values in range, state per call site, seeds, Faker pools and locales."""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from typing import Any

import pytest
from ulid import ULID

from workbench.models import template_functions
from workbench.models.event_templates import EventTemplate, TemplateError, TemplateRenderer


def values(body: Any, count: int = 1, **fields: Any) -> list[Any]:
    renderer = TemplateRenderer(EventTemplate(body, **fields))
    return [json.loads(event.data) for event in renderer.render_batch(count)]


def column(expression: str, count: int = 200, **fields: Any) -> list[Any]:
    return [event["v"] for event in values({"v": expression}, count, **fields)]


def test_counter_counts_from_event_to_event_per_call_site() -> None:
    body = {
        "a": "{{ counter() }}",
        "b": "{{ counter(10, 5) }}",
        "c": "{{ counter(0.5, -0.5) }}",
        "twice": "{{ counter() }}-{{ counter() }}",
        "loop": "{% for i in range(2) %}{{ counter(100) }} {% endfor %}",
    }
    assert values(body, count=3) == [
        {"a": 1, "b": 10, "c": 0.5, "twice": "1-1", "loop": "100 101 "},
        {"a": 2, "b": 15, "c": 0.0, "twice": "2-2", "loop": "102 103 "},
        {"a": 3, "b": 20, "c": -0.5, "twice": "3-3", "loop": "104 105 "},
    ]


def test_a_function_called_through_another_name_shares_one_site() -> None:
    body = {"a": "{% set c = counter %}{{ c() }}", "b": "{% set c = counter %}{{ c() }}"}
    assert values(body, count=2) == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_cycle_goes_round_per_call_site() -> None:
    body = {"a": "{{ cycle(['x', 'y', 'z']) }}", "b": "{{ cycle([1, 2]) }}"}
    assert [(e["a"], e["b"]) for e in values(body, count=5)] == [
        ("x", 1), ("y", 2), ("z", 1), ("x", 2), ("y", 1),
    ]  # fmt: skip


def test_walk_carries_its_state_per_call_site_and_stays_within_bounds() -> None:
    body = {
        "free": "{{ walk(100.0, 2.5) }}",
        "int": "{{ walk(50, 3, 45, 55) }}",
        "float": "{{ walk(0.5, 0.2, 0, 1) }}",
    }
    events = values(body, count=500, seed=3)
    assert (events[0]["free"], events[0]["int"], events[0]["float"]) == (100, 50, 0.5)
    for before, after in itertools.pairwise(events):
        assert abs(after["free"] - before["free"]) <= 2.5
        assert abs(after["int"] - before["int"]) <= 3
        assert abs(after["float"] - before["float"]) <= 0.2 + 1e-9
    assert all(isinstance(e["int"], int) and 45 <= e["int"] <= 55 for e in events)
    assert all(0 <= e["float"] <= 1 for e in events)
    assert {45, 55} <= {e["int"] for e in events}, "a long walk reaches its bounds"
    assert len({e["free"] for e in events}) == 500, "a float walk takes float steps"


def test_randint_is_inclusive_and_uniform_stays_within_its_range() -> None:
    assert set(column("{{ randint(1, 3) }}", 300)) == {1, 2, 3}
    numbers = column("{{ uniform(-2.5, 2.5) }}", 300)
    assert all(-2.5 <= n <= 2.5 for n in numbers) and len(set(numbers)) == 300


def test_normal_has_its_mean_and_spread() -> None:
    numbers = column("{{ normal(10, 2) }}", 2000, seed=1)
    mean = sum(numbers) / len(numbers)
    spread = (sum((n - mean) ** 2 for n in numbers) / len(numbers)) ** 0.5
    assert abs(mean - 10) < 0.2 and abs(spread - 2) < 0.2


def test_choice_picks_from_the_values_by_weight() -> None:
    assert set(column("{{ choice(['a', 'b', 'c']) }}")) == {"a", "b", "c"}
    assert set(column("{{ choice(['a', 'b'], [0, 1]) }}")) == {"b"}
    picks = column("{{ choice(['a', 'b'], weights=[9, 1]) }}", 1000, seed=2)
    assert 850 < picks.count("a") < 950
    assert set(column("{{ ['x', 'y'] | random }}")) == {"x", "y"}


def test_uuid4_gives_version_4_uuids() -> None:
    texts = column("{{ uuid4() }}")
    assert len(set(texts)) == len(texts)
    assert all(uuid.UUID(t).version == 4 and str(uuid.UUID(t)) == t for t in texts)


def test_ulid_gives_ulids_of_now() -> None:
    before = time.time() - 1
    texts = column("{{ ulid() }}")
    assert len(set(texts)) == len(texts)
    for text in texts:
        assert len(text) == 26 and str(ULID.from_str(text)) == text
        assert before <= ULID.from_str(text).timestamp <= time.time() + 1


def test_now_is_rfc3339_utc_with_milliseconds() -> None:
    before_ms = time.time_ns() // 1_000_000
    event = values({"now": "{{ now() }}", "ms": "{{ now_ms() }}"})[0]
    after_ms = time.time_ns() // 1_000_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["now"])
    stamp = time.strptime(event["now"][:19], "%Y-%m-%dT%H:%M:%S")
    parsed_ms = (time.mktime(stamp) - time.timezone) * 1000 + int(event["now"][20:23])
    assert before_ms - 1 <= parsed_ms <= after_ms + 1
    assert before_ms <= event["ms"] <= after_ms


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("{{ randint(1.5, 3) }}", "randint(a, b) needs whole numbers a <= b"),
        ("{{ uniform('a', 3) }}", "uniform() needs a number for a, not 'a'"),
        ("{{ normal(0, -1) }}", "normal(mu, sigma) needs sigma >= 0"),
        ("{{ choice([]) }}", "choice() needs a list of at least one value"),
        ("{{ choice({'a': 1}) }}", "choice() needs a list of at least one value"),
        ("{{ choice([1, 2], [1]) }}", "one weight >= 0 per value"),
        ("{{ choice([1, 2], [0, 0]) }}", "not all of them 0"),
        ("{{ choice([1, 2], [1, -1]) }}", "one weight >= 0 per value"),
        ("{{ cycle([]) }}", "cycle() needs a list of at least one value"),
        ("{{ counter('a') }}", "counter() needs a number for start"),
        ("{{ walk(1, 'x') }}", "walk() needs a number for step"),
        ("{{ walk(1, 1, 'a') }}", "walk() needs a number for low"),
        ("{{ walk(1, 1, 5, 0) }}", "walk() needs low <= high, not 5 > 0"),
    ],
)
def test_bad_arguments_say_what_the_function_needs(expression: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)) as error:
        values({"v": expression})
    assert error.value.path == "body.v"


# -- Faker --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "provider", ["name", "email", "city", "address", "company", "sentence", "iban", "ipv4"]
)
def test_faker_providers_give_text(provider: str) -> None:
    texts = column(f"{{{{ faker.{provider}() }}}}", 20)
    assert all(isinstance(t, str) and t.strip() for t in texts)
    assert len(set(texts)) > 10


def test_faker_takes_arguments_and_the_templates_locale() -> None:
    assert all(1 <= n <= 6 for n in column("{{ faker.random_int(1, 6) }}", 50))
    assert all(len(w) == 3 for w in column("{{ faker.words(3) }}", 5))
    assert set(column("{{ faker.current_country_code() }}", 5)) == {"US"}
    assert set(column("{{ faker.current_country_code() }}", 5, locale="de_DE")) == {"DE"}


def test_faker_values_repeat_from_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(template_functions, "FAKER_POOL_SIZE", 5)
    body = {"name": "{{ faker.name() }}", "two": "{{ faker.pyint(0, 9999) }}"}
    events = values(body, count=100, seed=1)
    assert len({e["name"] for e in events[:5]}) == 5, "the pool fills with fresh values first"
    assert {e["name"] for e in events} == {e["name"] for e in events[:5]}
    assert len({e["two"] for e in events}) <= 5
    arguments = column("{{ faker.pyint(0, 10) }}-{{ faker.pyint(20, 30) }}", 50, seed=1)
    assert all(
        0 <= int(a) <= 10 and 20 <= int(b) <= 30 for a, b in (t.split("-") for t in arguments)
    )


def test_a_seeded_faker_repeats_its_values() -> None:
    body = {"name": "{{ faker.name() }}", "city": "{{ faker.city() }}"}
    assert values(body, 20, seed=5) == values(body, 20, seed=5)
    assert values(body, 20, seed=5) != values(body, 20, seed=6)
    assert values(body, 5, seed=5, locale="de_DE") != values(body, 5, seed=5)


def test_faker_offers_its_providers_and_nothing_else() -> None:
    names = template_functions.provider_names("en_US")
    assert {"name", "email", "city", "address", "company", "sentence", "pyint"} <= names
    assert not names & template_functions.DENIED_PROVIDERS
    assert not {"seed", "seed_instance", "random", "add_provider", "parse", "format"} & names
    assert not any(n.startswith("_") for n in names)
    with pytest.raises(TemplateError, match=r"faker\.nam is not a provider .*did you mean name"):
        values({"v": "{{ faker.nam() }}"})
