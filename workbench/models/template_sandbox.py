"""The sandbox event templates run in: Jinja2's immutable sandbox, with limits on size and work.

Templates come from files people share, so an expression must not reach files, modules or Python
internals, and must not exhaust memory or time. Jinja2's ``ImmutableSandboxedEnvironment`` refuses
attributes that start with ``_`` and methods that mutate lists, dicts and sets; on top of it:

- no loader (so no ``include``, ``import`` or ``extends``), autoescape off, undefined names raise
  (``StrictUndefined``), and the only globals are the ones a caller adds (the template functions
  and :func:`bounded_range`);
- a curated set of filters (:data:`FILTER_NAMES`); none that escapes HTML or builds markup;
- size limits checked *before* the work is done, so nothing large is ever built: ``*``, ``+``,
  ``%`` and ``**`` on strings, lists and integers, ``~`` (:meth:`TemplateSandbox.join_parts`),
  ``str.format``, ``str.join``/``replace``/``expandtabs``, and every argument of a call or a filter
  (at most :data:`MAX_VALUE_SIZE`, integers at most that in magnitude);
- a budget per event (:class:`EventBudget`): output characters, loop steps (``{% for %}`` and the
  filters that call a filter or test per item: ``map``, ``select``, …) and seconds.

Sizes are counted by :func:`value_size`: characters for strings, bytes for bytes, and 8 per
element of a container, counting a shared element each time it appears (as printing it would).

A refused operation raises :class:`SandboxRefusal`; the renderer reports it with the template path.
"""

from __future__ import annotations

import functools
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, Final

from jinja2 import StrictUndefined
from jinja2.filters import FILTERS
from jinja2.lexer import TOKEN_DATA, TOKEN_STRING, Lexer, Token, TokenStream
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from workbench.client import broker_rules

MAX_EVENT_BYTES: Final = broker_rules.MAX_EVENT_BYTES
"""An event's data at most: the broker's limit (4,194,236 bytes, 4 MiB less framing)."""
MAX_VALUE_SIZE: Final = MAX_EVENT_BYTES
"""Any value an expression builds, in :func:`value_size` units, at most."""
MAX_RANGE: Final = 10_000
"""``range()`` yields at most this many numbers."""
MAX_LOOP_STEPS: Final = 100_000
"""Loop iterations (``{% for %}``) per event, at most."""
MAX_EVENT_SECONDS: Final = 5.0
"""Seconds of work per event (checked at each loop step), at most."""
MAX_INT_BITS: Final = 16_384
"""Integers built by ``*`` and ``**`` have at most this many bits (~4,900 decimal digits)."""

FILTER_NAMES: Final = frozenset(
    {
        "abs", "attr", "capitalize", "center", "count", "d", "default", "dictsort",
        "filesizeformat", "first", "float", "format", "groupby", "int", "items", "join", "last",
        "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
        "reverse", "round", "select", "selectattr", "sort", "string", "striptags", "sum", "title",
        "trim", "truncate", "unique", "upper", "urlencode", "wordcount", "wordwrap",
    }
)  # fmt: skip
"""Jinja2's filters that templates may use (``random`` is added by the template functions)."""

_PER_ITEM_FILTERS: Final = ("map", "select", "reject", "selectattr", "rejectattr")
_CONTAINERS: Final = (list, tuple, set, frozenset)
_PERCENT_FIELD: Final = re.compile(
    r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([diouxXeEfFgGcrsa%])"
)
_FORMAT_SPEC: Final = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?\Z", re.DOTALL
)


class SandboxRefusal(Exception):
    """A template tried something the sandbox does not allow; the message says what and why."""


class TemplateNamespace:
    """An object whose attributes a template reads only through :meth:`_template_attribute`.

    The sandbox sends every ``obj.name`` and ``obj['name']`` on such an object there, so the object
    decides what a template sees (``faker`` shows its providers and nothing else).
    """

    __slots__ = ()

    def _template_attribute(self, name: str) -> Any:
        raise NotImplementedError


def value_size(value: Any, limit: int = MAX_VALUE_SIZE) -> int:
    """The size of ``value`` as the sandbox counts it; stops early once past ``limit``.

    Characters of a string, bytes of bytes, 8 for any other value and 8 per element of a list,
    tuple, set or dict (plus the elements' own sizes, counted each time they appear).

    Returns:
        the size, or some number greater than ``limit`` if the size is greater than ``limit``.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item)
        elif isinstance(item, dict):
            total += 8 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, _CONTAINERS):
            total += 8 * len(item)
            if total <= limit:
                stack.extend(item)
        else:
            total += 8
        if total > limit:
            return total
    return total


def check_arguments(what: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse arguments that are too large together, or integers beyond :data:`MAX_VALUE_SIZE`.

    Raises:
        SandboxRefusal: naming ``what`` was called and the limit.
    """
    total = 0
    for values in (args, kwargs.values()):
        for value in values:
            kind = type(value)
            if kind is int:
                if -MAX_VALUE_SIZE <= value <= MAX_VALUE_SIZE:
                    continue
                raise SandboxRefusal(
                    f"{what}: the number {_short(value)} is too large an argument here "
                    f"(at most {MAX_VALUE_SIZE:,})"
                )
            if kind is float or kind is bool or value is None:
                continue
            total += value_size(value, MAX_VALUE_SIZE - total)
            if total > MAX_VALUE_SIZE:
                raise SandboxRefusal(
                    f"{what}: the arguments are larger than {MAX_VALUE_SIZE:,} characters"
                )


def check_size(value: Any, what: str) -> None:
    """Refuse a value larger than :data:`MAX_VALUE_SIZE`.

    Raises:
        SandboxRefusal: naming ``what`` made the value.
    """
    if value_size(value) > MAX_VALUE_SIZE:
        raise SandboxRefusal(f"{what} would be larger than {MAX_VALUE_SIZE:,} characters")


def bounded_range(*args: int) -> range:
    """``range()`` as in Python, refused beyond :data:`MAX_RANGE` numbers.

    Raises:
        SandboxRefusal: for a longer range.
    """
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SandboxRefusal(
            f"range() gives at most {MAX_RANGE:,} numbers (this one has {len(numbers):,})"
        )
    return numbers


class EventBudget:
    """What one event may spend: output characters, loop steps, seconds. Reset for each event."""

    __slots__ = ("deadline", "output_left", "steps_left")

    def __init__(self) -> None:
        self.output_left = MAX_EVENT_BYTES
        self.steps_left = MAX_LOOP_STEPS
        self.deadline = 0.0

    def reset(self) -> None:
        """Start a new event with the whole budget."""
        self.output_left = MAX_EVENT_BYTES
        self.steps_left = MAX_LOOP_STEPS
        self.deadline = time.monotonic() + MAX_EVENT_SECONDS

    def spend_output(self, text: str) -> str:
        """Count ``text`` as output of this event and return it.

        Raises:
            SandboxRefusal: once the event's output passes :data:`MAX_EVENT_BYTES`.
        """
        self.output_left -= len(text)
        if self.output_left < 0:
            raise SandboxRefusal(f"the event would be larger than {MAX_EVENT_BYTES:,} bytes")
        return text

    def loop(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate ``iterable``, counting each step against the event's loop steps and time.

        Raises:
            SandboxRefusal: past :data:`MAX_LOOP_STEPS` steps or :data:`MAX_EVENT_SECONDS`.
        """
        for item in iterable:
            self.steps_left -= 1
            if self.steps_left < 0:
                raise SandboxRefusal(f"loops ran more than {MAX_LOOP_STEPS:,} steps for one event")
            if not self.steps_left & 0xFF and time.monotonic() > self.deadline:
                raise SandboxRefusal(f"one event took longer than {MAX_EVENT_SECONDS:g} s")
            yield item


class _FaithfulLexer(Lexer):
    """Jinja2's lexer, keeping carriage returns: Jinja2 turns ``\\r\\n`` and ``\\r`` into
    ``\\n``, but a template's text (a CSV body, say) is written as it is.

    Each ``\\r`` stands in as a private-use character the source lacks while Jinja2 tokenizes,
    and is put back in the text and string tokens. (A source holding every private-use character
    has its line breaks normalized, as Jinja2 does.)
    """

    def tokenize(
        self,
        source: str,
        name: str | None = None,
        filename: str | None = None,
        state: str | None = None,
    ) -> TokenStream:
        marker = _unused_character(source) if "\r" in source else None
        if marker is None:
            return super().tokenize(source, name, filename, state)
        stream = self.tokeniter(source.replace("\r", marker), name, filename, state)
        tokens = (
            Token(t.lineno, t.type, t.value.replace(marker, "\r"))
            if t.type in (TOKEN_DATA, TOKEN_STRING) and isinstance(t.value, str)
            else t
            for t in self.wrap(stream, name, filename)
        )
        return TokenStream(tokens, name, filename)


def _unused_character(text: str) -> str | None:
    return next((c for c in map(chr, range(0xE000, 0xF900)) if c not in text), None)


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """One template's Jinja2 environment (see the module docstring for its rules).

    Args:
        functions: the names a template may use (each is trusted: called without checks).
        filters: filters to add to Jinja2's curated ones (e.g. a seeded ``random``).
        trusted_types: classes whose instances are trusted callables (e.g. Faker providers).
    """

    intercepted_binops: frozenset[str] = frozenset({"*", "**", "+", "%"})
    _lexer: ClassVar[Lexer | None] = None

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]],
        filters: Mapping[str, Callable[..., Any]] | None = None,
        trusted_types: tuple[type, ...] = (),
    ) -> None:
        super().__init__(
            autoescape=False,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            cache_size=0,
            auto_reload=False,
            # Nothing a template computes runs at compile time (Jinja2 would fold constants, and
            # write a folded NaN as a bare name): every value is made, and checked, when rendered.
            optimized=False,
        )
        self.budget = EventBudget()
        self.globals.clear()
        self.globals.update(functions)
        self.globals["range"] = bounded_range
        self.filters = {name: _guarded(name, FILTERS[name]) for name in FILTER_NAMES}
        self.filters.update(
            join=_guarded("join", FILTERS["join"], _check_join),
            replace=_guarded("replace", FILTERS["replace"], _check_replace),
            format=_guarded("format", FILTERS["format"], _check_percent_format),
        )
        for name in _PER_ITEM_FILTERS:
            self.filters[name] = _stepped(self.filters[name], self.budget)
        self.filters.update(filters or {})
        self._trusted_ids = {id(f) for f in self.globals.values()}
        self._trusted_types = trusted_types

    @property
    def lexer(self) -> Lexer:
        lexer = TemplateSandbox._lexer
        if lexer is None:  # every sandbox has the same syntax settings: one lexer serves all
            lexer = TemplateSandbox._lexer = _FaithfulLexer(self)
        return lexer

    def add_filters(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        """Add filters for the compiler's own use (names starting with ``_``)."""
        self.filters.update(filters)

    # -- what a template can reach --------------------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, TemplateNamespace):
            return obj._template_attribute(attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, TemplateNamespace) and isinstance(argument, str):
            return obj._template_attribute(argument)
        return super().getitem(obj, argument)

    def call(
        __self,  # Jinja2's signature: a keyword argument may be named "self"
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        kwargs.pop("_loop_vars", None)
        kwargs.pop("_block_vars", None)
        if id(__obj) in __self._trusted_ids or isinstance(__obj, __self._trusted_types):
            return __obj(*args, **kwargs)
        what = getattr(__obj, "__name__", type(__obj).__name__)
        check_arguments(f"{what}()", args, kwargs)
        args = _check_builtin_method(__obj, what, args)
        result = super().call(__context, __obj, *args, **kwargs)
        check_size(result, f"{what}()")
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "+":
            if not isinstance(left, (int, float)) and (
                value_size(left) + value_size(right) > MAX_VALUE_SIZE
            ):
                raise SandboxRefusal(f"'+' would make more than {MAX_VALUE_SIZE:,} characters")
        elif operator == "%" and isinstance(left, (str, bytes)):
            _check_percent_format(
                left.decode("latin-1") if isinstance(left, bytes) else left, right
            )
        return self.binop_table[operator](left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        bound = _format_bound(value.__self__)

        @functools.wraps(wrapper)
        def bounded(*args: Any, **kwargs: Any) -> str:
            if bound(value_size([args, kwargs])) > MAX_VALUE_SIZE:
                raise SandboxRefusal(f"format() would make more than {MAX_VALUE_SIZE:,} characters")
            return wrapper(*args, **kwargs)

        return bounded

    # -- helpers the compiled template calls ----------------------------------------------------

    def join_parts(self, parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``: the parts as text, joined (the compiler routes ``~`` here).

        Raises:
            SandboxRefusal: if the text would pass :data:`MAX_VALUE_SIZE`.
        """
        if value_size(parts) > MAX_VALUE_SIZE:
            raise SandboxRefusal(f"'~' would make more than {MAX_VALUE_SIZE:,} characters")
        text = "".join([p if type(p) is str else str(p) for p in parts])
        if len(text) > MAX_VALUE_SIZE:
            raise SandboxRefusal(f"'~' would make more than {MAX_VALUE_SIZE:,} characters")
        return text


def _guarded(
    name: str, function: Callable[..., Any], check: Callable[..., None] | None = None
) -> Callable[..., Any]:
    """``function`` (a Jinja2 filter) with its arguments checked first and its result after."""
    skip = 1 if hasattr(function, "jinja_pass_arg") else 0  # context/environment comes first

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        check_arguments(f"the {name} filter", args[skip:], kwargs)
        if check is not None:
            check(*args[skip:], **kwargs)
        result = function(*args, **kwargs)
        check_size(result, f"the {name} filter's result")
        return result

    return guarded


def _stepped(function: Callable[..., Any], budget: EventBudget) -> Callable[..., Any]:
    """A filter of per-item work (``map``, ``select``…) whose items count as loop steps."""

    @functools.wraps(function)
    def stepped(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        return function(context, budget.loop(value), *args, **kwargs)

    return stepped


def _check_join(value: Any, d: str = "", attribute: Any = None) -> None:
    count = len(value) if hasattr(value, "__len__") else 0
    if value_size(value) + count * len(str(d)) > MAX_VALUE_SIZE:
        raise SandboxRefusal(f"join would make more than {MAX_VALUE_SIZE:,} characters")


def _check_replace(text: Any, old: Any, new: Any, count: Any = None) -> None:
    text, old, new = str(text), str(old), str(new)
    growth = (len(text) // max(len(old), 1) + 1) * (len(new) - len(old))
    if len(text) + max(growth, 0) > MAX_VALUE_SIZE:
        raise SandboxRefusal(f"replace would make more than {MAX_VALUE_SIZE:,} characters")


def _check_percent_format(text: Any, *args: Any, **kwargs: Any) -> None:
    """``text % values`` (or the format filter): widths, precisions and values within limits."""
    values_size = value_size([args, kwargs])
    total = len(str(text))
    for match in _PERCENT_FIELD.finditer(str(text)):
        width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        if width == "*" or precision == "*":
            raise SandboxRefusal("'*' widths in % formats are not allowed")
        total += _number(width) + _number(precision) + values_size
    if total > MAX_VALUE_SIZE:
        raise SandboxRefusal(f"'%' would make more than {MAX_VALUE_SIZE:,} characters")


def _format_bound(text: str) -> Callable[[int], int]:
    """For ``text.format(...)``: the largest output, given the values' size."""
    fields = 0
    extra = len(text)
    for _, field, spec, _ in string.Formatter().parse(text):
        if field is None:
            continue
        if spec and "{" in spec:
            raise SandboxRefusal("nested replacement fields in format() are not allowed")
        match = _FORMAT_SPEC.match(spec or "")
        if match is not None:
            extra += _number(match.group(1)) + _number(match.group(2))
        fields += 1
    return lambda values_size: extra + fields * values_size


def _number(digits: str | None) -> int:
    if not digits:
        return 0
    if len(digits) > 8:
        raise SandboxRefusal(f"the width or precision {digits[:20]}… is too large")
    return int(digits)


def _check_repeat(left: Any, right: Any) -> None:
    if type(left) is int and type(right) is int:
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SandboxRefusal(f"'*' would make a number of more than {MAX_INT_BITS:,} bits")
        return
    count, sequence = (left, right) if type(left) is int else (right, left)
    if type(count) is int and not isinstance(sequence, (int, float)):  # noqa: SIM102
        if value_size(sequence) * max(count, 0) > MAX_VALUE_SIZE:
            raise SandboxRefusal(f"'*' would make more than {MAX_VALUE_SIZE:,} characters")


def _check_power(base: Any, exponent: Any) -> None:
    if type(base) is int and type(exponent) is int and abs(base) > 1 and exponent > 0:  # noqa: SIM102
        if base.bit_length() * exponent > MAX_INT_BITS:
            raise SandboxRefusal(f"'**' would make a number of more than {MAX_INT_BITS:,} bits")


def _check_builtin_method(method: Any, name: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Refuse a str/bytes method call that would build too much; the arguments to call it with."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, (str, bytes)):
        return args
    if name in ("translate", "maketrans"):
        raise SandboxRefusal(f"{name}() is not allowed in templates")
    if name == "join" and args:
        items = list(args[0])
        if value_size(items) + len(items) * len(owner) > MAX_VALUE_SIZE:
            raise SandboxRefusal(f"join() would make more than {MAX_VALUE_SIZE:,} characters")
        return (items, *args[1:])
    if name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])
    if name == "expandtabs":
        tab = args[0] if args and type(args[0]) is int else 8
        tabs = owner.count(b"\t") if isinstance(owner, bytes) else owner.count("\t")
        if len(owner) + tabs * tab > MAX_VALUE_SIZE:
            raise SandboxRefusal(f"expandtabs() would make more than {MAX_VALUE_SIZE:,} characters")
    return args


def _short(number: int) -> str:
    bits = number.bit_length()
    return f"{number:,}" if bits < 64 else f"of {bits:,} bits"
