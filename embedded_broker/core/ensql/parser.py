"""The parser: :func:`parse_query` reads a query and compiles its WHERE clause into closures."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Final

from embedded_broker.core.ensql.comparison import _COMPARISONS, Comparison, _compare
from embedded_broker.core.ensql.conversions import _BadValue
from embedded_broker.core.ensql.errors import InvalidQuery, _error, _location
from embedded_broker.core.ensql.fields import _Ref, _resolve
from embedded_broker.core.ensql.like import _Like, _like, _text
from embedded_broker.core.ensql.operands import _literal, _Operand
from embedded_broker.core.ensql.predicates import (
    Predicate,
    _all,
    _always,
    _any,
    _constant,
    _negate,
    _never,
    _truthy,
)
from embedded_broker.core.ensql.query import EnsqlQuery, _Selected
from embedded_broker.core.ensql.rows import _Row
from embedded_broker.core.ensql.tokens import (
    _FLOAT,
    _INT,
    _PATH_NUMBER,
    _RESERVED,
    _VERSION,
    _Tok,
    _tokenize,
)

MAX_QUERY_LENGTH: Final = 1_000_000
"""The longest query text accepted, in characters."""

_MAX_NESTING: Final = 64
_MAX_COUNT: Final = (1 << 63) - 1


_PARAM_TYPES: Final = (bool, int, float, str, bytes)


class _Parser:
    """A recursive-descent parser that compiles as it goes."""

    def __init__(self, text: str, params: Mapping[str, object]) -> None:
        self.text = text
        self.params = params
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    # navigation

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.index]

    def peek(self) -> _Tok:
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def advance(self) -> _Tok:
        tok = self.tokens[self.index]
        if tok.kind != "end":
            self.index += 1
        return tok

    def at(self, *keywords: str) -> bool:
        return self.tok.keyword in keywords

    def at_punct(self, char: str) -> bool:
        return self.tok.kind == "punct" and self.tok.text == char

    def describe(self, tok: _Tok) -> str:
        if tok.kind == "end":
            return "the end of the query"
        if tok.keyword:
            return f"keyword {tok.keyword}"
        source = self.text[tok.pos : tok.end]
        if len(source) > 30:
            source = source[:27] + "..."
        return f"string {source}" if tok.kind == "string" else repr(source)

    def fail(self, problem: str, tok: _Tok | None = None, hint: str = "") -> InvalidQuery:
        tok = self.tok if tok is None else tok
        return _error(self.text, tok.pos, problem, hint)

    def expected(self, what: str, hint: str = "") -> InvalidQuery:
        if self.tok.kind == "end":
            return self.fail(f"expected {what}", hint=hint)
        return self.fail(f"expected {what}, found {self.describe(self.tok)}", hint=hint)

    # the statement

    def parse(self) -> EnsqlQuery:
        if all(t.kind == "end" or (t.kind == "punct" and t.text == ";") for t in self.tokens):
            raise InvalidQuery("empty query: expected SELECT ... FROM <topic>", 0)
        if not self.at("SELECT"):
            tok = self.tok
            if tok.kind == "word":
                raise self.fail(
                    f"unknown keyword {tok.text!r}", hint="an EnSQL query starts with SELECT"
                )
            raise self.expected("SELECT")
        self.advance()
        select = self.select_list()
        if not self.at("FROM"):
            if self.tok.kind == "end":
                raise self.fail("missing FROM clause", hint="expected FROM <topic>")
            raise self.expected("FROM" if select is None else "',' or FROM")
        self.advance()
        topic, type_name, type_version = self.topic_reference()
        where: Predicate | None = None
        if self.at("WHERE"):
            self.advance()
            where = self.or_expression()
        counts: dict[str, int] = {}
        while self.at("OFFSET", "LIMIT"):
            word = self.advance().keyword
            if word in counts:
                raise self.fail(f"{word} is given twice", self.tokens[self.index - 1])
            counts[word] = self.count(word)
        if self.at_punct(";"):
            self.advance()
            if self.tok.kind != "end":
                raise self.fail(f"unexpected {self.describe(self.tok)} after ';'")
        if self.tok.kind != "end":
            if self.at("WHERE") and counts:
                raise self.fail("WHERE must come before OFFSET and LIMIT")
            options = [] if counts else ["AND", "OR"] if where is not None else ["WHERE"]
            options += [word for word in ("OFFSET", "LIMIT") if word not in counts]
            wanted = (
                f"{', '.join(options)} or the end of the query"
                if options
                else "the end of the query"
            )
            if self.tok.kind == "word" and not self.tok.keyword:
                raise self.fail(f"unknown keyword {self.tok.text!r}", hint=f"expected {wanted}")
            raise self.expected(wanted)
        return EnsqlQuery(
            topic=topic,
            type_name=type_name,
            type_version=type_version,
            offset=counts.get("OFFSET", 0),
            limit=counts.get("LIMIT"),
            text=self.text,
            _where=None if where is _always else where,
            _select=select,
        )

    def select_list(self) -> tuple[_Selected, ...] | None:
        if self.at_punct("*"):
            self.advance()
            return None
        if self.tok.kind not in ("word", "name") or self.tok.keyword in _RESERVED:
            raise self.expected("'*' or a list of fields after SELECT")
        items: list[_Selected] = []
        while True:
            ref = self.field_reference()
            alias: str | None = None
            if self.at("AS"):
                self.advance()
                if self.tok.kind not in ("word", "name", "string") or self.tok.keyword:
                    raise self.expected("a name after AS")
                alias = self.advance().text
            items.append(_Selected(ref, alias))
            if not self.at_punct(","):
                return tuple(items)
            self.advance()

    def topic_reference(self) -> tuple[str, str | None, tuple[int, ...] | None]:
        tok = self.tok
        if tok.kind not in ("word", "name") or tok.keyword in _RESERVED:
            raise self.expected("a topic name after FROM")
        topic = self.advance().text
        if not self.at_punct("."):
            return topic, None, None
        self.advance()
        if self.tok.kind not in ("word", "name"):
            raise self.expected(f"an event type name after '{topic}.'")
        type_name = self.advance().text
        if not self.at_punct("."):
            return topic, type_name, None
        self.advance()
        first = self.tok
        if first.kind not in ("word", "number"):
            raise self.expected(f"a version after '{type_name}.', such as v1 or 1.2.0")
        end = first.end
        self.advance()
        while self.tok.pos == end and self.tok.kind in ("word", "number", "punct"):
            if self.tok.kind == "punct" and self.tok.text != ".":
                break
            end = self.advance().end
        source = self.text[first.pos : end]
        match = _VERSION.fullmatch(source)
        if match is None:
            raise self.fail(
                f"bad event type version {source!r}", first, "expected v<major>[.<minor>[.<patch>]]"
            )
        return topic, type_name, tuple(int(g) for g in match.groups() if g is not None)

    def count(self, word: str) -> int:
        tok = self.tok
        if tok.kind == "number":
            if not _INT.fullmatch(tok.text):
                raise self.fail(f"bad number {tok.text!r}", hint=f"{word} takes a whole number")
            value: object = self.number(tok)
        elif tok.kind == "param":
            value = self.param(tok)
        else:
            raise self.expected(f"a number after {word}")
        self.advance()
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{word} must be a whole number, not {value!r}", tok)
        if value < 0:
            raise self.fail(f"{word} must not be negative, got {value}", tok)
        if value > _MAX_COUNT:
            raise self.fail(f"{word} is too large", tok)
        return value

    # values

    def number(self, tok: _Tok) -> int | float:
        text = tok.text
        try:
            if _INT.fullmatch(text):
                return int(text)
            if _FLOAT.fullmatch(text):
                return float(text)
        except ValueError:
            raise self.fail(f"bad number {text[:20]!r}: too many digits", tok) from None
        raise self.fail(f"bad number {text!r}", tok)

    def param(self, tok: _Tok) -> object:
        source = self.text[tok.pos : tok.end]
        for key in (tok.text, source):
            if key in self.params:
                value = self.params[key]
                break
        else:
            raise self.fail(f"unbound parameter {source}", tok, "pass a value for it")
        if isinstance(value, bytearray | memoryview):
            value = bytes(value)
        if value is not None and not isinstance(value, _PARAM_TYPES):
            raise self.fail(
                f"parameter {source} has an unsupported type {type(value).__name__}",
                tok,
                "use bool, int, float, str or bytes",
            )
        return value

    def field_reference(self) -> _Ref:
        tok = self.tok
        if tok.kind == "word" and tok.keyword in _RESERVED:
            raise self.fail(
                f"unexpected keyword {tok.keyword}",
                hint='quote a field named like a keyword: "name"',
            )
        if tok.kind not in ("word", "name"):
            raise self.expected("a field name")
        parts = [self.advance().text]
        while self.at_punct("."):
            self.advance()
            part = self.tok
            if part.kind in ("word", "name"):
                parts.append(part.text)
            elif part.kind == "number" and _PATH_NUMBER.fullmatch(part.text):
                parts.extend(part.text.split("."))
            else:
                raise self.expected(f"a field name after '{'.'.join(parts)}.'")
            self.advance()
        try:
            return _resolve(parts, tok.kind == "name")
        except _BadValue as exc:
            raise self.fail(str(exc), tok) from None

    def operand(self) -> _Operand:
        tok = self.tok
        if tok.keyword in _RESERVED:
            raise self.expected("a value or a field name")
        if tok.kind == "string":
            self.advance()
            return _literal(tok, tok.text)
        if tok.kind == "number":
            self.advance()
            return _literal(tok, self.number(tok), tok.text)
        if tok.kind == "param":
            self.advance()
            return _literal(tok, self.param(tok))
        if tok.keyword in ("TRUE", "FALSE", "NULL"):
            self.advance()
            return _literal(tok, {"TRUE": True, "FALSE": False, "NULL": None}[tok.keyword])
        if tok.kind in ("word", "name"):
            ref = self.field_reference()
            if ref.kind == "metadata_all" or ref.get is None:
                raise self.fail("metadata cannot be compared as a whole", tok, "use metadata.<key>")
            return _Operand(tok, ref.get, convert=ref.convert)
        raise self.expected("a value or a field name")

    def converted(self, field_side: _Operand, other: _Operand) -> _Operand:
        """Express a constant compared with a time, version, mimetype or id in its terms."""
        convert = field_side.convert
        if convert is None or not other.const or other.value is None:
            return other
        try:
            return _literal(other.tok, convert(other.value, other.raw))
        except _BadValue as exc:
            raise self.fail(str(exc), other.tok) from None

    def pair(self, left: _Operand, right: _Operand) -> tuple[_Operand, _Operand]:
        return self.converted(right, left), self.converted(left, right)

    # conditions

    def or_expression(self) -> Predicate:
        predicates = [self.and_expression()]
        while self.at("OR"):
            self.advance()
            predicates.append(self.and_expression())
        return _any(predicates)

    def and_expression(self) -> Predicate:
        predicates = [self.not_expression()]
        while self.at("AND"):
            self.advance()
            predicates.append(self.not_expression())
        return _all(predicates)

    def not_expression(self) -> Predicate:
        negations = 0
        while self.at("NOT"):
            self.advance()
            negations += 1
        predicate = self.condition()
        return _negate(predicate) if negations % 2 else predicate

    def condition(self) -> Predicate:
        if self.at_punct("("):
            opening = self.advance()
            self.depth += 1
            if self.depth > _MAX_NESTING:
                raise self.fail("conditions are nested too deeply", opening)
            inner = self.or_expression()
            if not self.at_punct(")"):
                where = _location(self.text, opening.pos)
                raise self.expected("')'", hint=f"to close the '(' at {where}")
            self.advance()
            self.depth -= 1
            return inner
        if self.tok.kind == "end":
            raise self.expected("a condition")
        left = self.operand()
        tok = self.tok
        if tok.kind == "op":
            self.advance()
            right = self.operand()
            return self.comparison(_COMPARISONS[tok.text], left, right)
        negated = False
        if self.at("NOT") and self.peek().keyword in ("LIKE", "ILIKE", "IN", "BETWEEN"):
            self.advance()
            negated = True
        if self.at("LIKE", "ILIKE"):
            fold = self.advance().keyword == "ILIKE"
            return self.like(left, self.operand(), fold, negated)
        if self.at("IN"):
            self.advance()
            return self.membership(left, negated)
        if self.at("BETWEEN"):
            self.advance()
            low = self.operand()
            if not self.at("AND"):
                raise self.expected("AND in BETWEEN ... AND ...")
            self.advance()
            return self.between(left, low, self.operand(), negated)
        if self.at("IS"):
            self.advance()
            negated = self.at("NOT")
            if negated:
                self.advance()
            if not self.at("NULL"):
                raise self.expected("NULL after IS" + (" NOT" if negated else ""))
            self.advance()
            get = left.get
            if left.const:
                return _constant((left.value is None) != negated)
            if negated:
                return lambda row: get(row) is not None
            return lambda row: get(row) is None
        if left.const:
            if isinstance(left.value, bool):
                return _constant(left.value)
            raise self.fail(f"expected a condition, found {self.describe(left.tok)}", left.tok)
        get = left.get
        return lambda row: _truthy(get(row))

    def comparison(self, op: Comparison, left: _Operand, right: _Operand) -> Predicate:
        left, right = self.pair(left, right)
        if left.const and right.const:
            return _constant(_compare(op, left.value, right.value))
        if right.const:
            if right.value is None:
                return _never
            get, value = left.get, right.value
            return lambda row: _compare(op, get(row), value)
        if left.const:
            if left.value is None:
                return _never
            get, value = right.get, left.value
            return lambda row: _compare(op, value, get(row))
        get_left, get_right = left.get, right.get
        return lambda row: _compare(op, get_left(row), get_right(row))

    def like(self, left: _Operand, pattern: _Operand, fold: bool, negated: bool) -> Predicate:
        get = left.get
        if pattern.const:
            text = _text(pattern.value)
            if text is None:
                return _never
            matcher = _Like(text, fold)
            if left.const:
                value = _text(left.value)
                return _constant(value is not None and matcher(value) != negated)

            def like_constant(row: _Row) -> bool:
                value = _text(get(row))
                return value is not None and matcher(value) != negated

            return like_constant
        get_pattern = pattern.get

        def like_field(row: _Row) -> bool:
            value, wanted = _text(get(row)), _text(get_pattern(row))
            if value is None or wanted is None:
                return False
            return _like(wanted, fold)(value) != negated

        return like_field

    def membership(self, left: _Operand, negated: bool) -> Predicate:
        if not self.at_punct("("):
            raise self.expected("'(' after IN")
        self.advance()
        if self.at_punct(")"):
            raise self.fail("IN needs at least one value")
        items = [self.converted(left, self.operand())]
        while self.at_punct(","):
            self.advance()
            items.append(self.converted(left, self.operand()))
        if not self.at_punct(")"):
            raise self.expected("',' or ')' in the IN list")
        self.advance()
        get = left.get
        eq = operator.eq
        if all(item.const for item in items):
            values = tuple(item.value for item in items if item.value is not None)

            def within(row: _Row) -> bool:
                value = get(row)
                if value is None:
                    return False
                return any(_compare(eq, value, v) for v in values) != negated

            return within
        getters = tuple(item.get for item in items)

        def within_fields(row: _Row) -> bool:
            value = get(row)
            if value is None:
                return False
            return any(_compare(eq, value, g(row)) for g in getters) != negated

        return within_fields

    def between(self, value: _Operand, low: _Operand, high: _Operand, negated: bool) -> Predicate:
        get = value.get
        get_low = self.converted(value, low).get
        get_high = self.converted(value, high).get
        ge, le = operator.ge, operator.le

        def inside(row: _Row) -> bool:
            current = get(row)
            if current is None:
                return False
            result = _compare(ge, current, get_low(row)) and _compare(le, current, get_high(row))
            return result != negated

        return inside


def parse_query(text: str, params: Mapping[str, object] | None = None) -> EnsqlQuery:
    """Parse an EnSQL query and compile its WHERE clause.

    Args:
        text: the query, e.g. ``SELECT * FROM orders WHERE metadata.region = 'eu' LIMIT 10``.
        params: values for the ``:name`` (or ``$name``, ``@name``) parameters in the query, by
            name (with or without the prefix): bool, int, float, str, bytes or None.

    Raises:
        InvalidQuery: if the query is malformed or a parameter is unbound; the message says what
            is wrong and where.
    """
    if not isinstance(text, str):
        raise InvalidQuery(f"a query must be text, not {type(text).__name__}")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidQuery(
            f"the query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}"
        )
    return _Parser(text, params or {}).parse()
