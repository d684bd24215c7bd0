"""The template sandbox: escapes refused with the path and a reason, never run; bounded work."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from workbench.models.event_templates import (
    EventTemplate,
    TemplateError,
    TemplateRenderer,
    template_from_json,
)
from workbench.models.template_sandbox import MAX_EVENT_BYTES, value_size


def load(expression: str, **fields: Any) -> EventTemplate:
    return template_from_json(json.dumps({"body": {"customer": expression}, **fields}))


@contextmanager
def bounded(seconds: float = 5.0, mebibytes: int = 64) -> Iterator[None]:
    """The block must finish within ``seconds`` and allocate at most ``mebibytes`` at its peak."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < seconds
    assert peak < mebibytes * 1024 * 1024, f"peak {peak:,} bytes"


# Refused when the template is loaded: nothing of it runs.
@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "attributes starting with '_'"),
        ("{{ cycler.__init__.__globals__ }}", "attributes starting with '_'"),
        ("{{ cycler }}", "'cycler' is undefined"),
        ("{{ lipsum.__globals__['os'] }}", "attributes starting with '_'"),
        ("{{ lipsum() }}", "'lipsum' is undefined"),
        ("{{ self.__init__.__globals__ }}", "attributes starting with '_'"),
        ("{{ self }}", "'self' is undefined"),
        ("{{ faker.__class__ }}", "attributes starting with '_'"),
        ("{{ faker._factory_map }}", "attributes starting with '_'"),
        ("{{ faker['_generator'] }}", "attributes starting with '_'"),
        ("{{ faker.random.__class__ }}", "attributes starting with '_'"),
        ("{{ faker.random }}", "faker.random is not a provider"),
        ("{{ faker.seed_instance(1) }}", "faker.seed_instance is not a provider"),
        ("{{ faker.pystr_format('{{name}}') }}", "faker.pystr_format is not allowed"),
        ("{{ counter.__self__ }}", "attributes starting with '_'"),
        ("{% include '/etc/passwd' %}", "{% include %} is not allowed"),
        ("{% import 'os' as os %}", "{% import %} is not allowed"),
        ("{% from 'os' import path %}", "{% from … import %} is not allowed"),
        ("{% extends 'base' %}", "{% extends %} is not allowed"),
        ("{% macro m() %}{{ m() }}{% endmacro %}", "{% macro %} is not allowed"),
        ("{% block b %}{% endblock %}", "{% block %} is not allowed"),
        ("{% autoescape true %}<{% endautoescape %}", "{% autoescape %} is not allowed"),
        ("{% for i in [1] recursive %}{% endfor %}", "recursive loops are not allowed"),
        ("{{ config }}", "'config' is undefined; templates can use choice, counter"),
        ("{{ request.environ }}", "'request' is undefined"),
        ("{{ _events }}", "names starting with '_' are not available"),
        ("{{ counter(_site=1) }}", "argument names starting with '_' are reserved"),
        ("{{ 'x' | tojson }}", "there is no filter named 'tojson'"),
        ("{{ 'x' | _json }}", "there is no filter named '_json'"),
        ("{{ 1 is nothing }}", "there is no test named 'nothing'"),
    ],
)
def test_an_escape_is_refused_when_loaded(payload: str, reason: str) -> None:
    with pytest.raises(TemplateError) as error:
        load(payload)
    assert error.value.path == "body.customer"
    assert reason in error.value.reason


# Refused while rendering, before the work is done.
@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("{{ range(10**9) | list }}", "range() gives at most 10,000 numbers"),
        ("{{ 'a' * 10**9 }}", f"'*' would make more than {MAX_EVENT_BYTES:,} characters"),
        ("{{ [1] * 10**9 }}", "'*' would make more than"),
        ("{{ [('a' * 4000000)] * 3 }}", "'*' would make more than"),
        ("{{ 10 ** 100000 }}", "'**' would make a number of more than 16,384 bits"),
        ("{{ (2 ** 8000) * (2 ** 8000) * (2 ** 8000) }}", "'*' would make a number"),
        ("{{ ('a' * 4000000) + ('a' * 4000000) }}", "'+' would make more than"),
        ("{{ ('a' * 4000000) ~ ('a' * 4000000) }}", "'~' would make more than"),
        ("{{ 'x'.center(10**9) }}", "center(): the number 1,000,000,000 is too large"),
        ("{{ (1).to_bytes(10**9, 'big') }}", "to_bytes(): the number 1,000,000,000 is too large"),
        ("{{ '{:>999999999}'.format(1) }}", "the width or precision 999999999"),
        ("{{ '{0}{0}{0}{0}{0}{0}'.format('a' * 1000000) }}", "format() would make more than"),
        ("{{ '%999999999d' % 1 }}", "the width or precision 999999999"),
        ("{{ '%*d' % (10**8, 1) }}", "'*' widths in % formats are not allowed"),
        ("{{ '%999999999d'.encode() % 1 }}", "the width or precision 999999999"),
        ("{{ '%s%s%s%s%s%s' | format(*(['a' * 1000000] * 1)) }}", "'%' would make more than"),
        ("{{ ('x' * 10000).join(['a' * 80000] * 50) }}", "join() would make more than"),
        ("{{ range(10000) | join('a' * 1000) }}", "join would make more than"),
        ("{{ ('a' * 100000) | replace('', 'b' * 100) }}", "replace would make more than"),
        ("{{ ('\t' * 1000000).expandtabs(100) }}", "expandtabs() would make more than"),
        ("{{ 'abc'.translate({97: 'x' * 1000}) }}", "translate() is not allowed"),
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            "loops ran more than 100,000 steps for one event",
        ),
        ("{{ ('a' * 101000) | list | map('upper') | list }}", "loops ran more than 100,000"),
        ("{{ ('a' * 4000000) | list }}", "the list filter's result would be larger than"),
        (
            "{% set s = 'a' * 4000000 %}{{ s }}{{ s }}",
            f"the event would be larger than {MAX_EVENT_BYTES:,}",
        ),
        (
            "{% for i in range(100) %}{{ 'a' * 100000 }}{% endfor %}",
            f"the event would be larger than {MAX_EVENT_BYTES:,}",
        ),
        ("{{ faker.pyint(0, 10**9) }}", "the number 1,000,000,000 is too large"),
        ("{{ faker.pystr(max_chars=20000) }}", "numbers passed to Faker are at most 10,000"),
        ("{{ faker.pytimezone() }}", "faker.pytimezone() gave a ZoneInfo"),
        ("{{ faker.pylist(value_types=['get_providers']) }}", "which templates cannot use"),
        ("{{ (faker | attr('name')).__self__ }}", "attributes starting with '_'"),
        ("{{ faker | attr('_generator') }}", "faker._generator is not a provider"),
    ],
)
def test_a_bomb_or_escape_is_refused_before_it_runs(payload: str, reason: str) -> None:
    with bounded(), pytest.raises(TemplateError) as error:
        TemplateRenderer(load(payload)).render()
    assert error.value.path == "body.customer"
    assert reason in error.value.reason


def test_a_syntax_error_gives_the_path_and_jinjas_message() -> None:
    with pytest.raises(TemplateError) as error:
        load("{{ faker.name( }}")
    assert error.value.path == "body.customer"
    assert "unexpected '}'" in error.value.reason


def test_an_event_up_to_the_size_limit_is_fine_and_one_byte_more_is_not() -> None:
    prefix = '{"customer":""}'
    fits = MAX_EVENT_BYTES - len(prefix)
    renderer = TemplateRenderer(EventTemplate({"customer": f"{{{{ 'a' * {fits} }}}}"}))
    assert len(renderer.render().data) == MAX_EVENT_BYTES
    text = TemplateRenderer(
        EventTemplate(f"{{{{ 'a' * {MAX_EVENT_BYTES} }}}}", mimetype="text/plain")
    )
    assert len(text.render().data) == MAX_EVENT_BYTES
    too_big = TemplateRenderer(EventTemplate({"customer": f"{{{{ 'a' * {fits + 1} }}}}"}))
    with pytest.raises(TemplateError, match=f"body: the event is {MAX_EVENT_BYTES + 1:,} bytes"):
        too_big.render()


def test_each_event_of_a_batch_has_the_whole_budget() -> None:
    body = {"v": "{% for i in range(9000) %}{% endfor %}{{ 'a' * 1000000 }}"}
    assert len(TemplateRenderer(EventTemplate(body)).render_batch(12)) == 12


def test_a_template_cannot_reach_the_run_through_jinja_builtins() -> None:
    for payload in ("{{ namespace() }}", "{{ joiner() }}", "{{ dict(a=1) }}", "{{ loop.index }}"):
        with pytest.raises(TemplateError, match="is undefined"):
            load(payload)


def test_value_size_counts_shared_parts_each_time_and_stops_early() -> None:
    text = "a" * 1000
    nested: Any = [text, text]
    for _ in range(40):
        nested = [nested, nested]  # 2**41 strings when printed, from 42 small lists
    assert value_size([text, text]) == 2016
    with bounded(seconds=1):
        assert value_size(nested, limit=10_000) > 10_000
    with bounded(), pytest.raises(TemplateError, match=f"larger than {MAX_EVENT_BYTES:,}"):
        TemplateRenderer(
            load("{% set a = ['x' * 1000] %}" + "{% set a = [a, a, a, a] %}" * 20 + "{{ a }}")
        ).render()
