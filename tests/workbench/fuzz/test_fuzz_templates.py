"""The producer's templates, random and mutated: a template loads or is refused with a
TemplateError that names what is wrong; a loaded one renders events within the limits or is
refused the same way; the Generate page shows either, and stays usable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from tests.workbench.fuzz.conftest import fuzz_settings, shown
from workbench.models.event_templates import (
    EventTemplate,
    TemplateError,
    TemplateRenderer,
    template_from_json,
)
from workbench.models.template_sandbox import MAX_EVENT_BYTES
from workbench.models.template_source import TemplateSource
from workbench.views.qt_generator_panel import QtGeneratorPanel
from workbench.views.qt_session import QtSession

EXPRESSIONS = [
    "{{ counter() }}",
    "{{ counter(10, -3) }}",
    "{{ faker.name() }}",
    "{{ faker.sentence(nb_words=9999) }}",
    "{{ faker.nope() }}",
    "{{ faker._Faker__config }}",
    "{{ randint(1, 9) }}",
    "{{ randint(9, 1) }}",
    "{{ uniform(0, 1) | round(3) }}",
    "{{ normal(0, -1) }}",
    "{{ choice([1, 'a', none, [2]]) }}",
    "{{ choice([]) }}",
    "{{ walk(0, 1, -5, 5) }}",
    "{{ cycle(['a', 'b']) }}",
    "{{ now() }}",
    "{{ now_ms() }}",
    "{{ ulid() }}",
    "{{ uuid4() }}",
    "{{ 'a' * 1000 }}",
    "{{ 'a' * 99999999 }}",
    "{{ [0] * 99999999 }}",
    "{{ 9 ** 99999 }}",
    "{{ range(10) | list }}",
    "{{ range(10 ** 9) | list }}",
    "{% for i in range(3) %}{{ i }},{% endfor %}",
    "{% for i in range(10 ** 6) %}{% endfor %}",
    "{{ undefined_name }}",
    "{{ 1 / 0 }}",
    "{{ ''.__class__ }}",
    "{{ cycler }}",
    "{{ float('nan') }}",
    "{{ (1e308 * 10) }}",
    "{{ {'a': 1, 'b': [1.5, true]} }}",
    "{{ none }}",
    "{{ '\\ud800' }}",
    "{{ '\\x00\"\\\\' }}",
    "{{ 'x' | upper | replace('X', 'y' * 50) }}",
    "{{ '%s' % 'z' }}",
    "{{ '{:>99999999}'.format(1) }}",
    "{% set x = 3 %}{{ x * 2 }}",
    "{% include 'x' %}",
    "{{",
    "{%",
    "}}",
    "{{ 1 }",
    "{# comment #}",
]
LITERALS = ["", "plain", "é 😀", "<b>", "\\", '"', "\n", "\u2028", "{", "}"]

strings = st.lists(st.sampled_from(EXPRESSIONS) | st.sampled_from(LITERALS), max_size=3).map(
    "".join
)
bodies = st.recursive(
    strings | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3),
    max_leaves=8,
)
_OPTIONAL = {
    "type": st.sampled_from(["Order", "Order:1.2.0", "Order:x", ":1.0.0", "{{ 'T' }}:1.0.0"])
    | strings,
    "metadata": st.dictionaries(st.text(max_size=5), strings, max_size=3),
    "seed": st.integers(),
    "locale": st.sampled_from(["en_US", "de_DE", "ja_JP", "xx_YY"]),
    "name": st.text(max_size=10),
}
documents = st.one_of(
    st.fixed_dictionaries(  # a JSON template
        {"body": bodies},
        optional={
            "mimetype": st.sampled_from(
                ["application/json", "application/ld+json", "APPLICATION_JSON", "nope/x", "", 7]
            ),
            **_OPTIONAL,
        },
    ),
    st.fixed_dictionaries(  # a text template
        {"body": strings, "mimetype": st.sampled_from(["text/plain", "text/csv"])},
        optional=_OPTIONAL,
    ),
    st.fixed_dictionaries(  # a key that is not there, or one of the wrong kind
        {"body": bodies},
        optional={"unknown": st.just(1), "seed": st.just("seven"), "metadata": st.just([])},
    ),
)


def _mutated(text: str, data: st.DataObject) -> str:
    """``text`` with a few characters deleted, inserted or replaced."""
    chars = list(text)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(chars)))
        action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        piece = data.draw(st.sampled_from([*'{}[]",:\\ \n', "{{", "}}", "x", "\ud800"]))
        if action == "delete" and at < len(chars):
            del chars[at]
        elif action == "insert":
            chars.insert(at, piece)
        elif at < len(chars):
            chars[at] = piece
    return "".join(chars)


def _render_checked(template: EventTemplate, count: int) -> None:
    """Render ``count`` events: every one within the limits, or a TemplateError."""
    try:
        events = TemplateRenderer(template).render_batch(count)
    except TemplateError as exc:
        assert str(exc), "a refusal says why"
        return
    assert len(events) == count
    for event in events:
        assert len(event.data) <= MAX_EVENT_BYTES
        if template.is_json:
            json.loads(event.data, parse_constant=_not_json)  # JSON proper: no NaN
        else:
            event.data.decode("utf-8")
        assert all(isinstance(v, str) for v in event.metadata.values())
    source = TemplateSource(TemplateRenderer(template))
    try:
        encoded = source(count)
    except TemplateError:
        return
    assert len(encoded) == count


def _not_json(name: str) -> Any:
    raise AssertionError(f"{name} in a rendered JSON body")


def _load_and_render(text: str) -> None:
    try:
        template = template_from_json(text)
    except TemplateError as exc:
        assert str(exc), "a refusal says why"
        return
    _render_checked(template, 3)


@fuzz_settings(300)
@given(document=documents)
def test_a_template_document_loads_and_renders_or_is_refused_with_a_reason(
    document: dict[str, Any],
) -> None:
    _load_and_render(json.dumps(document))


@fuzz_settings(200)
@given(document=documents, data=st.data())
def test_a_mutated_template_file_is_refused_with_a_reason(
    document: dict[str, Any], data: st.DataObject
) -> None:
    _load_and_render(_mutated(json.dumps(document, indent=1), data))


@pytest.fixture(scope="module")
def panel(qapp: Any) -> Iterator[QtGeneratorPanel]:
    with shown(QtGeneratorPanel(QtSession(), lambda: None)) as widget:
        yield widget


@fuzz_settings(60)
@given(document=documents, data=st.data())
def test_the_generate_page_shows_a_template_or_what_is_wrong_and_stays_usable(
    qtbot: QtBot, panel: QtGeneratorPanel, document: dict[str, Any], data: st.DataObject
) -> None:
    text = json.dumps(document, indent=2)
    if data.draw(st.booleans()):
        text = _mutated(text, data)
    panel.editor.setPlainText(text)
    template = panel.check_template()
    shown = panel.template_status.text()
    assert shown, "the page says whether the template loads"
    assert bool(panel.template_status.property("problem")) == (template is None)
    panel.preview()  # renders five events or shows the reason, never raises
    if panel.template_status.property("problem"):
        assert panel.template_status.text()
    panel.grab()

    panel.editor.setPlainText('{"body": {"n": "{{ counter() }}"}}')  # still usable
    assert panel.check_template() is not None
    assert len(panel.preview()) == 5
