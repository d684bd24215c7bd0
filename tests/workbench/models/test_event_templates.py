"""Event templates: the file format, JSON and text rendering, seeds, batches, errors with paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbench.models.event_templates import (
    MAX_TEMPLATE_BYTES,
    EventTemplate,
    RenderedEvent,
    TemplateError,
    TemplateRenderer,
    load_template,
    template_from_json,
    template_to_json,
)

EXAMPLE = {
    "name": "orders",
    "mimetype": "application/json",
    "type": "Order:1.2.0",
    "metadata": {"region": "{{ choice(['eu', 'us']) }}"},
    "body": {
        "id": "{{ counter() }}",
        "customer": "{{ faker.name() }}",
        "total": "{{ uniform(5, 500) | round(2) }}",
    },
    "seed": 42,
}


def rendered(body: Any, count: int = 1, **fields: Any) -> list[RenderedEvent]:
    return TemplateRenderer(EventTemplate(body, **fields)).render_batch(count)


def values(body: Any, count: int = 1, **fields: Any) -> list[Any]:
    return [json.loads(event.data) for event in rendered(body, count, **fields)]


def jinja_string(text: str) -> str:
    """``text`` as a Jinja2 string literal."""
    return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


# -- the example from the format --------------------------------------------------------------


def test_the_example_renders_events_of_its_shape() -> None:
    template = template_from_json(json.dumps(EXAMPLE))
    events = TemplateRenderer(template).render_batch(50)
    for number, event in enumerate(events, 1):
        assert event.mimetype == "application/json"
        assert (event.type_name, event.type_version) == ("Order", "1.2.0")
        assert event.metadata["region"] in ("eu", "us")
        body = json.loads(event.data)
        assert body["id"] == number
        assert isinstance(body["customer"], str) and body["customer"]
        assert 5 <= body["total"] <= 500 and round(body["total"], 2) == body["total"]
    assert {e.metadata["region"] for e in events} == {"eu", "us"}


def test_a_seed_repeats_a_run_and_another_seed_does_not() -> None:
    template = {
        **EXAMPLE,
        "body": {
            **EXAMPLE["body"],
            "uuid": "{{ uuid4() }}",
            "ulid_random": "{{ ulid()[10:] }}",
            "n": "{{ randint(1, 10**6) }}",
            "x": "{{ normal(0, 1) }}",
            "w": "{{ walk(50, 3) }}",
            "city": "{{ faker.city() }}",
        },
    }

    def run(seed: int) -> list[bytes]:
        renderer = TemplateRenderer(template_from_json(json.dumps({**template, "seed": seed})))
        return [event.data for event in renderer.render_batch(30)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_batches_continue_the_same_run_as_single_events() -> None:
    template = template_from_json(json.dumps(EXAMPLE))
    one = TemplateRenderer(template)
    singles = [one.render() for _ in range(5)]
    other = TemplateRenderer(template)
    assert other.render_batch(2) + other.render_batch(0) + other.render_batch(3) == singles


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="count"):
        TemplateRenderer(EventTemplate({})).render_batch(-1)


# -- JSON bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("{{ 3 }}", 3),
        ("{{ 2.5 }}", 2.5),
        ("{{ [1, 'a', none] }}", [1, "a", None]),
        ("{{ {'k': [true]} }}", {"k": [True]}),
        ("{{ none }}", None),
        ("{{ false }}", False),
        ("{{ 'text' }}", "text"),
        ("{{ range(3) }}", [0, 1, 2]),
        ("{{ 12345678901234567890123 }}", 12345678901234567890123),
    ],
)
def test_a_string_that_is_exactly_one_expression_keeps_its_type(
    expression: str, value: Any
) -> None:
    assert values({"v": expression, "nested": [[expression]]}) == [
        {"v": value, "nested": [[value]]}
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("n={{ 3 }}", "n=3"),
        (" {{ 3 }}", " 3"),
        ("{{ 1 }}{{ 2 }}", "12"),
        ("{{ none }}!", "None!"),
        ("{% if true %}yes{% endif %}", "yes"),
        ("{% for i in range(3) %}{{ i }},{% endfor %}", "0,1,2,"),
        ('{% set x %}a"b\\{% endset %}<{{ x }}>', '<a"b\\>'),
        ('{% filter upper %}a"b{{ "\\n" }}{% endfilter %}', 'A"B\n'),
        ("{{ 'a' ~ 1 ~ none }}", "a1None"),
        ("{# a comment #}", ""),
        ("{{ '{{' }} literal", "{{ literal"),
    ],
)
def test_a_string_mixing_text_and_expressions_is_a_string(text: str, value: str) -> None:
    assert values({"v": text}) == [{"v": value}]


def test_html_is_not_escaped_and_non_ascii_is_written_as_is() -> None:
    event = rendered({"v": "{{ '<a href=\"x\">&amp;</a> é 😀' }}", "w": "<é>{{ 1 }}"})[0]
    assert json.loads(event.data) == {"v": '<a href="x">&amp;</a> é 😀', "w": "<é>1"}
    assert "é 😀".encode() in event.data
    assert b"<a href" in event.data


def test_literal_json_values_stay_as_they_are() -> None:
    body = {"n": 1, "f": -2.5e-3, "t": True, "z": None, "s": 'q"\\\n\t', "l": [], "o": {}}
    assert values(body) == [body]
    assert values("{{ 1 }}") == [1]
    assert values(None) == [None]


hostile_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from('"\\\n\r\t\x00\x1f\x7f\u2028😀</script>'),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(hostile_text, min_size=1, max_size=4))
def test_json_output_stays_valid_and_faithful_whatever_the_values_hold(texts: list[str]) -> None:
    choices = "[" + ", ".join(jinja_string(t) for t in texts) + "]"
    body = {
        "exact": f"{{{{ cycle({choices}) }}}}",
        "mixed": f'<"{{{{ cycle({choices}) }}}}\\>',
        "list": f"{{{{ {choices} }}}}",
        "{{ cycle(" + choices + ") }}": "{{ 0 }}",
    }
    assume(not set(texts) & set(body))
    events = values(body, count=len(texts))
    for index, event in enumerate(events):
        text = texts[index % len(texts)]
        assert event["exact"] == text
        assert event["mixed"] == f'<"{text}\\>'
        assert event["list"] == texts
        assert event[text] == 0


@settings(max_examples=100, deadline=None)
@given(text=hostile_text)
def test_literal_text_in_a_json_template_is_escaped_too(text: str) -> None:
    assume("{" not in text and text != "plain")  # no template syntax in the literal
    body = {text: f"<{text}{{{{ 1 }}}}", "plain": text}
    assert values(body) == [{text: f"<{text}1", "plain": text}]


def test_lone_surrogates_become_json_escapes() -> None:
    event = rendered({"v": "{{ cycle(['a\\ud800b']) }}", "w": "x{{ 'y\\udfff' }}"})[0]
    assert event.data == b'{"v":"a\\ud800b","w":"xy\\udfff"}'
    assert json.loads(event.data) == {"v": "a\ud800b", "w": "xy\udfff"}


@pytest.mark.parametrize(
    "expression", ["{{ 'nan' | float }}", "{{ 1e308 * 10 }}", "{{ ['inf' | float] }}"]
)
def test_nan_and_infinity_are_refused_rather_than_written(expression: str) -> None:
    with pytest.raises(TemplateError, match="NaN and Infinity") as error:
        rendered({"v": expression})
    assert error.value.path == "body.v"


def test_values_that_are_not_json_types_are_written_in_a_json_form() -> None:
    body = {"date": "{{ faker.date_object() }}", "dec": "{{ faker.pydecimal(2, 2) }}"}
    event = values(body, seed=1)[0]
    assert len(event["date"]) == 10 and event["date"][4] == "-"
    assert isinstance(event["dec"], float)
    with pytest.raises(TemplateError, match=r"bytes are not JSON.*\.hex\(\)"):
        values({"b": "{{ faker.binary(4) }}"})


def test_object_keys_may_hold_expressions_and_must_differ() -> None:
    body = {"{{ cycle(['a', 'b']) }}": "{{ counter() }}", "key-{{ 1 + 1 }}": 0, "x": 1}
    assert values(body, count=2) == [{"a": 1, "key-2": 0, "x": 1}, {"b": 2, "key-2": 0, "x": 1}]
    with pytest.raises(TemplateError, match="two keys of this object are both 'x'") as error:
        rendered({"o": {"{{ 'x' }}": 1, "x": 2}})
    assert error.value.path == "body.o"


# -- text bodies, types and metadata ------------------------------------------------------------


def test_a_text_template_is_written_as_rendered() -> None:
    body = "id,name\r\n{{ counter() }},{{ cycle(['a\"b', 'é']) }}\r\n"
    events = rendered(body, count=2, mimetype="text/csv")
    assert [e.data for e in events] == [b'id,name\r\n1,a"b\r\n', "id,name\r\n2,é\r\n".encode()]
    assert events[0].mimetype == "text/csv"


@settings(max_examples=100, deadline=None)
@given(text=hostile_text)
def test_text_output_is_the_values_text(text: str) -> None:
    body = f"[{{{{ {jinja_string(text)} }}}}]"
    assert rendered(body, mimetype="text/plain")[0].data == f"[{text}]".encode()


def test_lone_surrogates_in_text_become_replacement_characters() -> None:
    event = rendered("{{ 'a\\ud800' }}", mimetype="text/plain", metadata={"m": "{{ 'b\\udc00' }}"})
    assert event[0].data == "a\ufffd".encode()
    assert event[0].metadata == {"m": "b\ufffd"}


@pytest.mark.parametrize(
    ("metadata", "path"),
    [('{"k\\ud800": "v"}', 'metadata["k\\ud800"]'), ('{"k": "v\\udc00"}', "metadata.k")],
)
def test_a_lone_surrogate_written_in_metadata_is_refused_where_it_is(
    metadata: str, path: str
) -> None:
    """An escape that JSON reads but UTF-8 cannot write: an event could not carry it."""
    with pytest.raises(TemplateError, match="lone surrogate") as error:
        template_from_json(f'{{"body": "", "mimetype": "text/plain", "metadata": {metadata}}}')
    assert error.value.path == path
    assert str(error.value).encode("utf-8"), "the message itself prints"


def test_type_and_metadata_may_hold_expressions() -> None:
    events = rendered(
        {},
        count=2,
        type="{{ cycle(['Order', 'Refund']) }}:{{ counter() }}.0.1",
        metadata={"fixed": "yes", "n": "{{ counter(5) }}", "none": "{{ none }}"},
    )
    assert [(e.type_name, e.type_version) for e in events] == [
        ("Order", "1.0.1"),
        ("Refund", "2.0.1"),
    ]
    assert [e.metadata for e in events] == [
        {"fixed": "yes", "n": "5", "none": "None"},
        {"fixed": "yes", "n": "6", "none": "None"},
    ]


@pytest.mark.parametrize(
    ("type_", "name", "version"),
    [
        ("Order", "Order", "1.0.0"),
        ("Order:2.10.0", "Order", "2.10.0"),
        ("ns:Order:01.2.3", "ns:Order", "1.2.3"),
    ],
)
def test_types_name_and_version(type_: str, name: str, version: str) -> None:
    event = rendered({}, type=type_)[0]
    assert (event.type_name, event.type_version) == (name, version)


def test_the_type_is_generic_by_default() -> None:
    event = rendered({})[0]
    assert (event.type_name, event.type_version) == ("Generic", "1.0.0")


def test_a_rendered_type_with_a_bad_version_is_reported_at_the_type() -> None:
    with pytest.raises(TemplateError, match=r"type: the type version '1\.x' is not major"):
        rendered({}, type="Order:{{ '1.x' }}")


def test_mimetypes_are_written_in_their_usual_text() -> None:
    assert rendered({}, mimetype="APPLICATION_JSON")[0].mimetype == "application/json"
    assert rendered({}, mimetype="application/ld+json")[0].data == b"{}"
    assert rendered("x", mimetype="application/x-ndjson")[0].mimetype == "application/jsonlines"


# -- errors -------------------------------------------------------------------------------------


def test_a_syntax_error_names_the_path_and_jinjas_message() -> None:
    with pytest.raises(TemplateError) as error:
        template_from_json(json.dumps({"body": {"items": [{"price": "{{ uniform(1, }}"}]}}))
    assert error.value.path == "body.items[0].price"
    assert "unexpected '}'" in error.value.reason
    assert str(error.value).startswith("body.items[0].price: ")


def test_a_multi_line_text_template_names_the_line() -> None:
    with pytest.raises(TemplateError, match=r"body: .*\(line 3\)"):
        TemplateRenderer(EventTemplate("a\nb\n{{ 1 + }}", mimetype="text/plain"))
    with pytest.raises(
        TemplateError, match=r"body: ZeroDivisionError: division by zero \(line 2\)"
    ):
        rendered("a\n{{ 1 / 0 }}", mimetype="text/plain")


def test_a_failing_expression_is_reported_at_its_path() -> None:
    body = {"ok": "{{ 1 }}", "deep": {"list": [0, "n={{ randint(5, 1) }}"]}}
    with pytest.raises(TemplateError) as error:
        rendered(body)
    assert error.value.path == "body.deep.list[1]"
    assert error.value.reason == "randint(a, b) needs whole numbers a <= b, not 5 and 1"
    with pytest.raises(TemplateError, match=r'metadata\["a b"\]: .*undefined'):
        rendered({}, metadata={"a b": "{{ missing_name }}"})


BODY = '"body": {}'


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        (
            f'{{{BODY}, "bogus": 1, "other": 2}}',
            "",
            "unknown keys 'bogus', 'other'; a template has",
        ),
        ('{"mimetype": "text/plain"}', "body", "needs a body"),
        ("[1, 2]", "", "a template is a JSON object"),
        ('{"body": {}', "", "not valid JSON: Expecting"),
        ('{"body": NaN}', "", "NaN is not valid JSON"),
        ('{"body": {"a": 1, "a": 2}}', "", "the key 'a' appears twice"),
        (f'{{{BODY}, "mimetype": "application/jsn"}}', "mimetype", "unknown mimetype"),
        (f'{{{BODY}, "mimetype": 5}}', "mimetype", "expected text such as application/json"),
        (f'{{{BODY}, "type": "Order:1.2"}}', "type", "the type version '1.2' is not major."),
        (f'{{{BODY}, "type": ":1.0.0"}}', "type", "has no name"),
        (f'{{{BODY}, "type": "Order:1.2.99999999999"}}', "type", "not major.minor.patch"),
        (
            f'{{{BODY}, "metadata": {{"n": 5}}}}',
            "metadata.n",
            "text (quote numbers), not the number 5",
        ),
        (f'{{{BODY}, "metadata": ["a"]}}', "metadata", "an object of text values"),
        (f'{{{BODY}, "seed": "42"}}', "seed", "the seed is a whole number"),
        (f'{{{BODY}, "seed": true}}', "seed", "the seed is a whole number"),
        (f'{{{BODY}, "locale": "xx_XX"}}', "locale", "Faker has no locale 'xx_XX'"),
        (
            '{"body": {"a": 1}, "mimetype": "text/plain"}',
            "body",
            "a string (a text template), not an",
        ),
        ('{"body": "{{ x }"}', "body", "unexpected '}'"),
    ],
)
def test_a_bad_document_is_refused_naming_what_is_wrong(
    document: str, path: str, message: str
) -> None:
    with pytest.raises(TemplateError) as error:
        template_from_json(document)
    assert error.value.path == path
    assert message in error.value.reason


def test_a_body_built_in_code_must_be_json() -> None:
    with pytest.raises(TemplateError, match=r"body\.a\[0\]: nan is not a JSON number"):
        EventTemplate({"a": [float("nan")]})
    with pytest.raises(TemplateError, match=r"body: object keys are text"):
        EventTemplate({1: "x"})
    with pytest.raises(TemplateError, match=r"body\.s: a set is not a JSON value"):
        EventTemplate({"s": {1}})


# -- files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        EventTemplate({}),
        EventTemplate(
            {"a": ["{{ counter() }}", 1.5, None, {"é": "😀"}]},
            mimetype="application/ld+json",
            type="Order:{{ cycle(['1.0.0']) }}",
            metadata={"k": "v", "r": "{{ choice(['x']) }}"},
            name="Bestellungen",
            seed=-3,
            locale="de_DE",
        ),
        EventTemplate("line {{ counter() }}\r\n", mimetype="text/plain", name="lines"),
    ],
)
def test_a_template_round_trips_through_its_json(template: EventTemplate) -> None:
    text = template_to_json(template)
    assert template_from_json(text) == template
    assert text.endswith("}\n") and "\n  " in text


def test_a_template_file_loads_and_its_errors_name_the_file(tmp_path: Path) -> None:
    good = tmp_path / "orders.json"
    good.write_bytes(b"\xef\xbb\xbf" + json.dumps(EXAMPLE).encode())  # a BOM is fine
    assert load_template(good) == template_from_json(json.dumps(EXAMPLE))

    bad = tmp_path / "bad.json"
    bad.write_text('{"body": {"x": "{{ 1 + }}"}}')
    with pytest.raises(TemplateError) as error:
        load_template(bad)
    assert error.value.file == bad and error.value.path == "body.x"
    assert str(error.value).startswith(f"{bad}: body.x: ")

    latin = tmp_path / "latin.json"
    latin.write_bytes('{"body": "é"}'.encode("latin-1"))
    with pytest.raises(TemplateError, match="not UTF-8 text"):
        load_template(latin)
    with pytest.raises(FileNotFoundError):
        load_template(tmp_path / "missing.json")


def test_a_template_file_is_at_most_5_mib(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text('{"body": "' + "x" * MAX_TEMPLATE_BYTES + '"}')
    with pytest.raises(TemplateError, match=f"at most {MAX_TEMPLATE_BYTES:,} bytes"):
        load_template(big)
