"""Event templates: a JSON file that describes events, rendered into events fast and safely.

The file format
===============

A template is a JSON document (a UTF-8 ``.json`` file, at most 4 MiB)::

    {
      "name": "orders",
      "mimetype": "application/json",
      "type": "Order:1.2.0",
      "locale": "en_US",
      "seed": 42,
      "metadata": {"region": "{{ choice(['eu', 'us']) }}"},
      "body": {"id": "{{ counter() }}", "customer": "{{ faker.name() }}",
               "total": "{{ uniform(5, 500) | round(2) }}"}
    }

Keys (any other key is an error that names it):

- ``body`` (required): what each event holds. For a JSON mimetype (``application/json``,
  ``application/ld+json``) any JSON value; its strings, at any depth, and its object keys may hold
  expressions. For any other mimetype a string: a text template, written as rendered (UTF-8).
- ``mimetype``: text such as ``application/json`` (the default), ``text/plain`` or ``text/csv``;
  any mimetype Ensign knows, parameters (``; charset=utf-8``) and enum names (``APPLICATION_JSON``)
  accepted. ``application/jsonlines`` is a text mimetype here (the body is a string).
- ``type``: ``"Name"`` or ``"Name:major.minor.patch"`` (the part after the last ``:``); may hold
  expressions. Default ``"Generic"``; a name without a version has version ``1.0.0``.
- ``metadata``: an object of strings; the values may hold expressions (written as text), the keys
  are written as they are.
- ``name``: a label (optional). ``seed``: an integer that makes a run repeat exactly (optional).
- ``locale``: Faker's locale, e.g. ``"de_DE"`` (default ``"en_US"``).

Expressions
-----------

Jinja2 syntax: ``{{ expression }}``, with filters (``{{ uniform(1, 9) | round(2) }}``); statements
(``{% if %}``, ``{% for %}``, ``{% set %}``) work inside one string. To write ``{{`` literally,
use ``{{ '{{' }}``. In a JSON body:

- a string that is EXACTLY one expression keeps the value's type: ``"{{ counter() }}"`` gives
  ``1``, ``"{{ [1, 2] }}"`` a list, ``"{{ none }}"`` ``null``, ``"{{ 'a' }}"`` ``"a"``;
- a string mixing text and expressions is a string (values written as Python's ``str()``);
- the output is always valid JSON, whatever the values hold: strings are escaped as JSON needs
  (quotes, backslashes, control characters), never HTML-escaped; lone surrogates become
  ``\\uXXXX`` escapes. NaN and ±Infinity are refused (an error, not ``null``). Dates become ISO
  8601 text, ``Decimal`` a number, sets sorted lists, bytes are refused (use ``.hex()``);
- object keys with expressions are written as strings; two keys of one object rendering the same
  are an error.

Names expressions can use (and ``range``, at most 10,000 numbers):

- ``counter(start=1, step=1)``: ``start``, ``start+step``, …: one per call, counted from event to
  event, separately for each place it is called;
- ``uuid4()``: a random UUID (text); ``ulid()``: a ULID (text; the clock's milliseconds, then
  random bits);
- ``now()``: the time in UTC, RFC 3339 with milliseconds (``2026-11-29T12:00:00.123Z``);
  ``now_ms()``: milliseconds since the Unix epoch;
- ``randint(a, b)``: a whole number a ≤ n ≤ b; ``uniform(a, b)``: a number between a and b;
  ``normal(mu, sigma)``: normally distributed;
- ``choice(values, weights=None)``: one of a list, optionally weighted; the ``random`` filter
  picks one of a list too;
- ``walk(start, step, low=None, high=None)``: a random walk per call site, moving by up to
  ``step`` each event (whole numbers if ``start`` and ``step`` are), kept within [low, high];
- ``cycle(values)``: the values in turn, per call site;
- ``faker``: Faker's providers in the template's locale: ``faker.name()``, ``faker.email()``,
  ``faker.city()``, ``faker.address()``, ``faker.company()``, ``faker.sentence()``, … any public
  provider except a few (``pystr_format``, ``json``, ``xml``, ``csv``, ``zip``, ``image``, …).
  Values come from pools of up to 1,000 values per provider and arguments, drawn ahead and picked
  at random: they repeat. Integer arguments are at most 10,000.

With a ``seed``, every value (random numbers, picks, Faker values, ``uuid4()``, the random part of
``ulid()``) repeats run after run; what reads the clock does not: ``now()``, ``now_ms()``, ulid's
time, and Faker's dates relative to today (``faker.date_time()``, ``faker.past_date()``, …).

Safety
------

Templates run in Jinja2's immutable sandbox with no loader: no ``include``, ``import``,
``extends``, ``macro``; nothing starting with ``_``; no names but those above; no Faker internals.
Work is bounded: values and events at most the broker's limit (4,194,236 bytes), loops at most
100,000 steps and 5 seconds per event. Anything refused raises :class:`TemplateError` with the
template path (``body.customer``) and the reason.

Rendering
---------

``TemplateRenderer(template).render_batch(n)`` renders ``n`` events in one Jinja2 evaluation (the
fast path); ``render()`` renders one. Each event is a :class:`RenderedEvent`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from jinja2 import pass_context
from jinja2.exceptions import TemplateError as JinjaError
from jinja2.runtime import Context

from workbench.client import broker_rules
from workbench.client.errors import InvalidInput
from workbench.models.template_compiler import ProgramBuilder, has_expressions
from workbench.models.template_errors import TemplateError, child_path
from workbench.models.template_functions import (
    DEFAULT_LOCALE,
    FakerProvider,
    TemplateFunctions,
    available_locales,
)
from workbench.models.template_output import (
    has_lone_surrogate,
    json_bytes,
    json_string,
    json_string_part,
    json_value,
    text_bytes,
    text_of,
    valid_text,
)
from workbench.models.template_sandbox import MAX_EVENT_BYTES, SandboxRefusal, TemplateSandbox

__all__ = [
    "EventTemplate",
    "RenderedEvent",
    "TemplateError",
    "TemplateRenderer",
    "load_template",
    "template_from_json",
    "template_to_json",
]

DEFAULT_MIMETYPE: Final = "application/json"
DEFAULT_TYPE: Final = "Generic"
DEFAULT_TYPE_VERSION: Final = "1.0.0"
MAX_TEMPLATE_BYTES: Final = MAX_EVENT_BYTES
"""A template file at most (the broker's event limit)."""
TEMPLATE_KEYS: Final = ("name", "mimetype", "type", "locale", "seed", "metadata", "body")
"""A template document's keys, in the order :func:`template_to_json` writes them."""

_JSON_MIMETYPES: Final = frozenset(
    {broker_rules.APPLICATION_JSON, broker_rules.APPLICATION_JSON_LD}
)
_VERSION: Final = re.compile(r"(\d{1,10})\.(\d{1,10})\.(\d{1,10})\Z")


@dataclass(frozen=True, slots=True)
class RenderedEvent:
    """One rendered event, ready to publish.

    Attributes:
        data: the event's bytes (JSON or text, UTF-8), at most :data:`MAX_EVENT_BYTES`.
        mimetype: the mimetype's usual text, e.g. ``"application/json"``.
        type_name: the type's name, e.g. ``"Order"``.
        type_version: ``"major.minor.patch"``, e.g. ``"1.2.0"``.
        metadata: the metadata, key to value.
    """

    data: bytes
    mimetype: str
    type_name: str
    type_version: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class EventTemplate:
    """A template as its file holds it (see the module docstring for the format).

    Construction checks the structure (mimetype, type, metadata, body kind, seed, locale);
    expressions are checked when compiled (:func:`template_from_json`, :class:`TemplateRenderer`).

    Raises:
        TemplateError: naming the key at fault and why.
    """

    body: Any
    mimetype: str = DEFAULT_MIMETYPE
    type: str = DEFAULT_TYPE
    metadata: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None
    seed: int | None = None
    locale: str = DEFAULT_LOCALE

    def __post_init__(self) -> None:
        _check_structure(self)

    @property
    def is_json(self) -> bool:
        """Whether the body is a JSON template (a JSON mimetype) rather than a text template."""
        return _mimetype_number(self.mimetype) in _JSON_MIMETYPES


class TemplateRenderer:
    """A compiled template and one run's state (counters, walks, random numbers, Faker pools).

    Not thread-safe: use one renderer per thread.

    Args:
        template: the template to compile.

    Raises:
        TemplateError: for a syntax error, something the sandbox refuses, an unknown name, filter
            or Faker provider — with the path of the string at fault.
    """

    def __init__(self, template: EventTemplate) -> None:
        self.template = template
        functions = TemplateFunctions(template.seed, template.locale)
        sandbox = TemplateSandbox(functions.names(), functions.filters(), (FakerProvider,))
        self._sandbox = sandbox
        self._events: list[RenderedEvent] = []
        self._emit = _Emitter(template, self._events)
        sandbox.add_filters(self._output_filters())
        builder = ProgramBuilder(sandbox, template.locale)
        type_nodes = builder.text("type", template.type) if has_expressions(template.type) else None
        metadata_nodes = [
            builder.text(child_path("metadata", key), value)
            for key, value in template.metadata.items()
            if has_expressions(value)
        ]
        if template.is_json:
            body = builder.json("body", template.body)
        else:
            body = builder.text("body", template.body)
        self._program = builder.program(body, type_nodes, metadata_nodes)

    def render(self) -> RenderedEvent:
        """The next event.

        Raises:
            TemplateError: if an expression fails or the sandbox refuses it, with its path.
        """
        return self.render_batch(1)[0]

    def render_batch(self, count: int) -> list[RenderedEvent]:
        """The next ``count`` events, rendered in one Jinja2 evaluation (the fast path).

        Args:
            count: how many events (>= 0).

        Raises:
            TemplateError: if an expression fails or the sandbox refuses it, with its path; the
                run's state has then moved on by the events rendered before the failure.
        """
        if count < 0:
            raise ValueError(f"count must be >= 0, not {count}")
        template = self._program.template
        events = self._events
        events.clear()
        self._sandbox.budget.reset()
        context = template.new_context({"_events": range(count)})
        try:
            for _ in template.root_render_func(context):
                pass
        except TemplateError:
            raise
        except Exception as exc:
            raise self._located(exc) from exc
        batch = events.copy()
        events.clear()
        return batch

    def _located(self, exc: Exception) -> TemplateError:
        """``exc`` as a TemplateError at the path of the template string that raised it."""
        template = self._program.template
        lineno = 0
        traceback = exc.__traceback__
        while traceback is not None:
            if traceback.tb_frame.f_globals.get("__jinja_template__") is template:
                lineno = template.get_corresponding_lineno(traceback.tb_lineno)
            traceback = traceback.tb_next
        path, line = self._program.path_at(lineno)
        reason = str(exc) or type(exc).__name__
        if not isinstance(exc, (SandboxRefusal, ValueError, JinjaError)):
            reason = f"{type(exc).__name__}: {reason}"
        return TemplateError(path, reason + (f" (line {line})" if line > 1 else ""))

    def _output_filters(self) -> dict[str, Callable[..., Any]]:
        """The ``_``-filters the compiled program calls (see :mod:`template_compiler`)."""
        budget = self._sandbox.budget

        def counted(encode: Callable[[Any], str]) -> Callable[..., str]:
            # pass_context keeps Jinja2 from running the filter at compile time
            @pass_context
            def output(context: Context, value: Any) -> str:
                return budget.spend_output(encode(value))

            return output

        @pass_context
        def loop(context: Context, iterable: Any) -> Any:
            return budget.loop(iterable)

        return {
            "_json": counted(json_value),
            "_jstr": counted(json_string_part),
            "_text": counted(text_of),
            "_jkey": counted(json_string),
            "_unique_keys": _unique_keys,
            "_loop": loop,
            "_concat": self._sandbox.join_parts,
            "_emit": pass_context(self._emit),
        }


class _Emitter:
    """``_emit``: turns an event's rendered parts into a :class:`RenderedEvent`."""

    def __init__(self, template: EventTemplate, events: list[RenderedEvent]) -> None:
        self.events = events
        self.mimetype = broker_rules.mimetype_text(_mimetype_number(template.mimetype))
        self.encode = json_bytes if template.is_json else text_bytes
        self.static_type = None if has_expressions(template.type) else parse_type(template.type)
        self.static_metadata = {
            k: v for k, v in template.metadata.items() if not has_expressions(v)
        }
        self.dynamic_keys = tuple(k for k, v in template.metadata.items() if has_expressions(v))
        self.types: dict[str, tuple[str, str]] = {}

    def __call__(self, context: Context, body: str, *parts: str) -> str:
        data = self.encode(body)
        if len(data) > MAX_EVENT_BYTES:
            raise TemplateError(
                "body", f"the event is {len(data):,} bytes; events are at most {MAX_EVENT_BYTES:,}"
            )
        if self.static_type is None:
            type_name, type_version = self._type(parts[0])
            parts = parts[1:]
        else:
            type_name, type_version = self.static_type
        metadata = self.static_metadata.copy()
        for key, value in zip(self.dynamic_keys, parts, strict=True):
            metadata[key] = valid_text(value)
        self.events.append(RenderedEvent(data, self.mimetype, type_name, type_version, metadata))
        budget = context.environment.budget  # type: ignore[attr-defined]
        budget.reset()
        return ""

    def _type(self, text: str) -> tuple[str, str]:
        parsed = self.types.get(text)
        if parsed is None:
            try:
                parsed = parse_type(valid_text(text))
            except ValueError as exc:
                raise TemplateError("type", str(exc)) from None
            if len(self.types) < 1024:
                self.types[text] = parsed
        return parsed


def _unique_keys(keys: tuple[str, ...]) -> str:
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"two keys of this object are both {twice!r}")
    return ""


def parse_type(text: str) -> tuple[str, str]:
    """``"Name"`` or ``"Name:major.minor.patch"`` as (name, version); version ``1.0.0`` if none.

    Raises:
        ValueError: for an empty name or a version that is not three whole numbers.
    """
    name, colon, version = text.rpartition(":")
    if not colon:
        name, version = text, DEFAULT_TYPE_VERSION
    else:
        match = _VERSION.match(version.strip())
        parts = match.groups() if match is not None else ()
        if not parts or any(int(part) > broker_rules.VERSION_PART_MAX for part in parts):
            raise ValueError(
                f"the type version {version!r} is not major.minor.patch (e.g. Order:1.2.0)"
            )
        version = ".".join(str(int(part)) for part in parts)
    name = name.strip()
    if not name:
        raise ValueError(f"the type {text!r} has no name (e.g. Order or Order:1.2.0)")
    return name, version


# -- files ------------------------------------------------------------------------------------


def template_from_json(text: str) -> EventTemplate:
    """Read a template document and check it, expressions included.

    Raises:
        TemplateError: for text that is not a JSON object, an unknown or badly typed key, a
            repeated key, a syntax error or anything else the compiler refuses (with its path).
    """
    if len(text) > MAX_TEMPLATE_BYTES:
        raise TemplateError("", f"a template is at most {MAX_TEMPLATE_BYTES:,} characters")
    try:
        document = json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:
        raise TemplateError("", str(exc)) from None
    template = _from_document(document)
    TemplateRenderer(template)  # compiles every expression: errors show at load
    return template


def template_to_json(template: EventTemplate) -> str:
    """The template as a document :func:`template_from_json` reads back equal (2-space indent)."""
    document: dict[str, Any] = {}
    if template.name is not None:
        document["name"] = template.name
    document["mimetype"] = template.mimetype
    document["type"] = template.type
    if template.locale != DEFAULT_LOCALE:
        document["locale"] = template.locale
    if template.seed is not None:
        document["seed"] = template.seed
    if template.metadata:
        document["metadata"] = dict(template.metadata)
    document["body"] = template.body
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_template(path: Path) -> EventTemplate:
    """Read a template file (UTF-8 JSON, at most :data:`MAX_TEMPLATE_BYTES`) and check it.

    Raises:
        OSError: if the file cannot be read.
        TemplateError: as :func:`template_from_json`, naming the file.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateError("", f"a template file is at most {MAX_TEMPLATE_BYTES:,} bytes")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TemplateError("", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        return template_from_json(text)
    except TemplateError as exc:
        raise exc.in_file(path) from None


def _from_document(document: Any) -> EventTemplate:
    if not isinstance(document, dict):
        raise TemplateError("", "a template is a JSON object with a body (see the format)")
    unknown = [key for key in document if key not in TEMPLATE_KEYS]
    if unknown:
        raise TemplateError(
            "",
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"a template has {', '.join(TEMPLATE_KEYS)}",
        )
    if "body" not in document:
        raise TemplateError("body", "a template needs a body (what each event holds)")
    values = {key: document[key] for key in TEMPLATE_KEYS if document.get(key) is not None}
    values.setdefault("body", None)
    return EventTemplate(**values)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        twice = next(key for key, _ in pairs if sum(1 for k, _ in pairs if k == key) > 1)
        raise ValueError(f"the key {twice!r} appears twice in one object")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# -- structure --------------------------------------------------------------------------------


def _mimetype_number(text: str) -> int:
    try:
        return broker_rules.mimetype_number(text)
    except InvalidInput as exc:
        raise TemplateError("mimetype", str(exc)) from None


def _check_structure(template: EventTemplate) -> None:
    _require_type("name", template.name, (str, type(None)), "text")
    _require_type("mimetype", template.mimetype, (str,), "text such as application/json")
    _require_type("type", template.type, (str,), "text such as Order:1.2.0")
    _require_type("locale", template.locale, (str,), "text such as en_US")
    if type(template.seed) not in (int, type(None)):
        raise TemplateError("seed", f"the seed is a whole number, not {template.seed!r}")
    _mimetype_number(template.mimetype)
    if not has_expressions(template.type):
        try:
            parse_type(template.type)
        except ValueError as exc:
            raise TemplateError("type", str(exc)) from None
    if not isinstance(template.metadata, Mapping):
        raise TemplateError("metadata", "metadata is an object of text values")
    for key, value in template.metadata.items():
        path = child_path("metadata", key)
        _require_type(path, value, (str,), "text (quote numbers)")
        _require_unicode(path, key, "key")
        _require_unicode(path, value, "value")
    if template.is_json:
        _check_json(template.body, "body")
    elif not isinstance(template.body, str):
        raise TemplateError(
            "body", f"for {template.mimetype} the body is a string (a text template), "
            f"not {_json_kind(template.body)}; JSON bodies need a JSON mimetype",
        )  # fmt: skip
    if template.locale not in available_locales():
        raise TemplateError("locale", f"Faker has no locale {template.locale!r} (e.g. en_US)")


def _require_type(path: str, value: Any, kinds: tuple[type, ...], what: str) -> None:
    if not isinstance(value, kinds):
        raise TemplateError(path, f"expected {what}, not {_json_kind(value)}")


def _require_unicode(path: str, text: str, what: str) -> None:
    """Refuse a lone surrogate (``"\\ud800"`` in JSON): it is not Unicode text and has no UTF-8
    form, so an event's metadata (protobuf ``string``) cannot carry it."""
    if has_lone_surrogate(text):
        raise TemplateError(
            path, f"the {what} holds a lone surrogate (half of a \\uXXXX pair), which is not text"
        )


def _check_json(value: Any, path: str) -> None:
    """Refuse what JSON cannot hold (the body may be built in code rather than read)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TemplateError(path, f"object keys are text, not {key!r}")
            _check_json(item, child_path(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, child_path(path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        raise TemplateError(path, f"{value} is not a JSON number")
    elif not isinstance(value, (str, int, float, bool, type(None))):
        raise TemplateError(path, f"a {type(value).__name__} is not a JSON value")


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true/false"}
    for kind, name in kinds.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "null" if value is None else f"a {type(value).__name__}"
