"""EnSQL: Ensign's SQL-like language for querying the events of one topic.

:func:`parse_query` parses a query and compiles its WHERE clause into closures once; the
:class:`EnsqlQuery` it returns then filters (:meth:`EnsqlQuery.matches`) and projects
(:meth:`EnsqlQuery.project`) stored events cheaply. Nothing here does I/O.

Grammar (keywords are case-insensitive; a trailing ``;`` and ``--`` comments are allowed)::

    SELECT * | field [AS alias] [, field [AS alias] ...]
    FROM topic[.TypeName[.version]]          -- version: v1, v1.2, v1.2.0, 1.2.0 (a prefix)
    [WHERE condition]
    [OFFSET n] [LIMIT n]                     -- either order; n: integer or parameter

Topic and field names are identifiers (letters, digits, ``_``, ``-``) or ``"quoted"`` /
```quoted``` names (needed for names with dots or spaces, or named like a keyword).

Fields: ``metadata.<key>``, ``data.<field>[.<field>...]`` (JSON data, parsed only when
referenced), ``data`` (raw bytes), ``type`` / ``type.name``, ``version`` / ``type.version``
(compared as versions: ``version >= '1.2'``), ``type.major`` / ``type.minor`` / ``type.patch``,
``mimetype`` (compared with ``'application/json'`` or ``'APPLICATION_JSON'``), ``offset``,
``timestamp`` / ``committed`` and ``created`` (ms since the epoch; also compared with ISO-8601
strings), ``id`` (compared with 20 hex digits or 16 base32 characters). Any other name is the
metadata key of that name if the event has it, otherwise the JSON data field; a quoted name is
always looked up that way. A missing key or field is NULL.

Conditions: ``= == != <> < <= > >=``, ``[NOT] LIKE`` / ``[NOT] ILIKE`` (``%``, ``_``, ``\\``
escapes), ``[NOT] IN (...)``, ``[NOT] BETWEEN a AND b``, ``IS [NOT] NULL``, ``NOT``, ``AND``,
``OR`` (binding in that order, tightest first), parentheses, and a bare field (true when it is
true or ``'true'``). Values: ``'strings'`` (``''`` escapes a quote), integers, decimals, TRUE,
FALSE, NULL and parameters ``:name``, ``$name`` or ``@name``.

Comparisons convert a string to a number (or boolean) when the other side is one; values that
cannot be compared, and any comparison with NULL, are false, so ``NOT`` of them is true.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.model import EventRecord
from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2

__all__ = ["EnsqlQuery", "InvalidQuery", "parse_query"]

MAX_QUERY_LENGTH: Final = 1_000_000
"""The longest query text accepted, in characters."""

_MAX_NESTING: Final = 64
_MAX_COUNT: Final = (1 << 63) - 1


class InvalidQuery(InvalidArgument):
    """An EnSQL query is malformed; the message says what is wrong and where.

    Attributes:
        index: where in the query text the problem was found (0-based), or None.
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


# --- tokens -------------------------------------------------------------------------------------

_KEYWORDS: Final = frozenset(
    {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"}
    | {"BETWEEN", "TRUE", "FALSE", "OFFSET", "LIMIT", "AS"}
)
_RESERVED: Final = _KEYWORDS - {"OFFSET", "TRUE", "FALSE", "NULL", "NOT"}
"""Keywords that cannot start a field name (``offset`` is also a field)."""

_SPACE = re.compile(r"(?:\s|--[^\n]*)+")
_WORD = re.compile(r"[^\W\d][\w-]*")
_NUMBER = re.compile(r"[+-]?[0-9][0-9.]*(?:[eE][+-]?[0-9]+)?\w*")
_PARAM = re.compile(r"[:$@](\w+)")
_OPERATOR = re.compile(r"<>|!=|==|<=|>=|=|<|>")
_PUNCTUATION = frozenset("(),.*;")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)")
_PATH_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_VERSION = re.compile(r"[vV]?([0-9]{1,9})(?:\.([0-9]{1,9}))?(?:\.([0-9]{1,9}))?")


@dataclass(frozen=True, slots=True)
class _Tok:
    """One token: ``kind`` is word, name, string, number, param, op, punct or end."""

    kind: str
    text: str
    """The unquoted value of a name or string, a parameter's name, else the source text."""
    pos: int
    end: int

    @property
    def keyword(self) -> str:
        """The upper-cased word if this is a keyword, else ''."""
        if self.kind == "word":
            upper = self.text.upper()
            if upper in _KEYWORDS:
                return upper
        return ""


def _location(text: str, index: int) -> str:
    if index >= len(text):
        return "the end of the query"
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}" if "\n" in text else f"column {column}"


def _error(text: str, index: int | None, problem: str, hint: str = "") -> InvalidQuery:
    message = problem
    if index is not None:
        message += f" at {_location(text, index)}"
        near = text[index : index + 24].split("\n", 1)[0].strip()
        if near:
            message += f" (near {near!r})"
    if hint:
        message += f"; {hint}"
    return InvalidQuery(message, index)


def _quoted(text: str, start: int) -> tuple[str, int]:
    """Read the quoted string or name at ``start``; a doubled quote stands for one quote."""
    quote = text[start]
    parts: list[str] = []
    index = start + 1
    while True:
        close = text.find(quote, index)
        if close < 0:
            what = "string" if quote == "'" else "quoted name"
            raise _error(text, start, f"unterminated {what}", f"add the closing {quote}")
        parts.append(text[index:close])
        if text.startswith(quote, close + 1):
            parts.append(quote)
            index = close + 2
            continue
        return "".join(parts), close + 1


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    index, size = 0, len(text)
    while True:
        space = _SPACE.match(text, index)
        if space:
            index = space.end()
        if index >= size:
            tokens.append(_Tok("end", "", size, size))
            return tokens
        char = text[index]
        if char == "'" or char == '"' or char == "`":
            value, end = _quoted(text, index)
            if char != "'" and not value:
                raise _error(text, index, "empty quoted name")
            tokens.append(_Tok("string" if char == "'" else "name", value, index, end))
        elif match := _NUMBER.match(text, index):
            tokens.append(_Tok("number", match.group(), index, match.end()))
        elif match := _WORD.match(text, index):
            tokens.append(_Tok("word", match.group(), index, match.end()))
        elif match := _PARAM.match(text, index):
            tokens.append(_Tok("param", match.group(1), index, match.end()))
        elif match := _OPERATOR.match(text, index):
            tokens.append(_Tok("op", match.group(), index, match.end()))
        elif char in _PUNCTUATION:
            tokens.append(_Tok("punct", char, index, index + 1))
        else:
            raise _error(text, index, f"unexpected character {char!r}")
        index = tokens[-1].end


# --- values -------------------------------------------------------------------------------------

_MIME_TEXT: Final[dict[int, str]] = {
    0: "application/octet-stream",
    1: "text/plain",
    2: "text/csv",
    3: "text/html",
    4: "text/calendar",
    50: "application/json",
    51: "application/ld+json",
    52: "application/jsonlines",
    53: "application/ubjson",
    54: "application/bson",
    100: "application/xml",
    101: "application/atom+xml",
    252: "application/msgpack",
    253: "application/parquet",
    254: "application/avro",
    255: "application/protobuf",
    512: "application/pdf",
    513: "application/java-archive",
    514: "application/python-pickle",
    **{1000 + n: f"user/format-{n}" for n in range(10)},
}
_MIME_ALIASES: Final[dict[str, int]] = {
    **{text: number for number, text in _MIME_TEXT.items()},
    "application/json-lines": 52,
    "application/jsonl": 52,
    "application/x-jsonlines": 52,
    "application/ndjson": 52,
    "application/x-ndjson": 52,
    "text/xml": 100,
    "application/x-msgpack": 252,
    "application/vnd.apache.parquet": 253,
    "application/x-parquet": 253,
    "application/x-avro": 254,
    "avro/binary": 254,
    "application/x-protobuf": 255,
    "application/vnd.google.protobuf": 255,
    "application/octet": 0,
}
_MIME_NAMES: Final[dict[str, int]] = {name: int(n) for name, n in mimetype_pb2.MIME.items()}


def _mime_text(number: int) -> str:
    return _MIME_TEXT.get(number) or str(number)


def _mime_number(text: str) -> int | None:
    """Map 'application/json', 'APPLICATION_JSON' and the like to the enum value, or None."""
    essence = text.split(";", 1)[0].strip().lower()
    if essence in _MIME_ALIASES:
        return _MIME_ALIASES[essence]
    name = re.sub(r"[^A-Z0-9]+", "_", text.strip().upper()).strip("_")
    return _MIME_NAMES.get(name)


class _BadValue(Exception):
    """A literal cannot be compared with the field it is compared with."""


Converter = Callable[[object, str | None], object]
"""Turns a literal (its value, and its source text if it is a number) into a field's terms."""


def _mime_value(value: object, raw: str | None) -> object:
    if isinstance(value, str):
        number = _mime_number(value)
        if number is None:
            raise _BadValue(f"unknown mimetype {value!r}")
        return _mime_text(number)
    if isinstance(value, int) and not isinstance(value, bool):
        return _mime_text(value)
    raise _BadValue("mimetype is compared with a string such as 'application/json'")


_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def _time_value(value: object, raw: str | None) -> object:
    if isinstance(value, str):
        text = value.strip()
        try:
            if _INT.fullmatch(text):
                return int(text)
            moment = _dt.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=_dt.UTC)
            return (moment - _EPOCH) // _dt.timedelta(milliseconds=1)
        except (ValueError, OverflowError):
            example = "'2024-01-31T12:00:00Z'"
            raise _BadValue(f"{value!r} is not an ISO-8601 time such as {example}") from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise _BadValue("times are compared with milliseconds since the epoch or ISO-8601 strings")


def _parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch = (int(group or 0) for group in match.groups())
    return major, minor, patch


def _version_value(value: object, raw: str | None) -> object:
    text = raw if raw is not None else value
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    version = _parse_version(text) if isinstance(text, str) else None
    if version is None:
        raise _BadValue(f"{value!r} is not a version such as '1.2.0'")
    return version


_CROCKFORD: Final = {c: i for i, c in enumerate("0123456789ABCDEFGHJKMNPQRSTVWXYZ")}
_CROCKFORD.update({"O": 0, "I": 1, "L": 1})


def _id_value(value: object, raw: str | None) -> object:
    if isinstance(value, bytes) and len(value) == 10:
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 20 and text.isascii() and text.isalnum():
            try:
                return bytes.fromhex(text)
            except ValueError:
                pass
        upper = text.upper()
        if len(upper) == 16 and all(c in _CROCKFORD for c in upper):
            number = 0
            for char in upper:
                number = (number << 5) | _CROCKFORD[char]
            return number.to_bytes(10, "big")
    raise _BadValue(f"{value!r} is not an event id (20 hex digits or 16 base32 characters)")


_NUMERIC = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_TRUTH: Final = {"true": True, "false": False}


def _from_text(text: str, like: object) -> object:
    """Read ``text`` as a value of the type of ``like``, or return None."""
    if isinstance(like, bool):
        return _TRUTH.get(text.strip().lower())
    if isinstance(like, int | float):
        if len(text) > 400 or not _NUMERIC.fullmatch(text):
            return None
        try:
            return int(text)
        except ValueError:
            return float(text)
    if isinstance(like, tuple):
        return _parse_version(text)
    return None


def _align(a: object, b: object) -> tuple[Any, Any] | None:
    """Bring two non-NULL values to comparable types, or return None if they cannot be."""
    if type(a) is type(b):
        return a, b
    if isinstance(a, str) and not isinstance(b, str | bytes):
        converted = _from_text(a, b)
        return None if converted is None else (converted, b)
    if isinstance(b, str) and not isinstance(a, str | bytes):
        converted = _from_text(b, a)
        return None if converted is None else (a, converted)
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a, b
    try:
        if isinstance(a, bytes) and isinstance(b, str):
            return a.decode(), b
        if isinstance(a, str) and isinstance(b, bytes):
            return a, b.decode()
    except UnicodeDecodeError:
        return None
    return None


Comparison = Callable[[Any, Any], Any]


def _compare(op: Comparison, a: object, b: object) -> bool:
    if a is None or b is None:
        return False
    pair = _align(a, b)
    if pair is None:
        return False
    try:
        return bool(op(pair[0], pair[1]))
    except TypeError:
        return False


def _text(value: object) -> str | None:
    """A value as LIKE sees it, or None if it has no text form."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    if isinstance(value, tuple):
        return ".".join(str(part) for part in value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Like:
    """A LIKE pattern: ``%`` any run, ``_`` any one character, ``\\`` escapes the next one.

    The pattern is split at ``%`` into fixed-length pieces that are matched leftmost-first, so
    matching never backtracks.
    """

    __slots__ = ("_exact", "_head", "_middle", "_tail", "_tail_size")

    def __init__(self, pattern: str, fold: bool) -> None:
        flags = re.DOTALL | (re.IGNORECASE if fold else 0)
        pieces: list[tuple[str, int]] = []
        regex: list[str] = []
        size = 0
        chars = iter(pattern)
        for char in chars:
            if char == "%":
                pieces.append(("".join(regex), size))
                regex, size = [], 0
                continue
            if char == "\\":
                regex.append(re.escape(next(chars, "\\")))
            elif char == "_":
                regex.append(".")
            else:
                regex.append(re.escape(char))
            size += 1
        pieces.append(("".join(regex), size))

        def compiled(piece: str) -> re.Pattern[str] | None:
            return re.compile(piece, flags) if piece else None

        self._exact = re.compile(pieces[0][0], flags) if len(pieces) == 1 else None
        self._head = compiled(pieces[0][0])
        self._middle = [re.compile(p, flags) for p, _ in pieces[1:-1] if p]
        self._tail = compiled(pieces[-1][0])
        self._tail_size = pieces[-1][1]

    def __call__(self, text: str) -> bool:
        if self._exact is not None:
            return self._exact.fullmatch(text) is not None
        index = 0
        if self._head is not None:
            found = self._head.match(text)
            if found is None:
                return False
            index = found.end()
        for piece in self._middle:
            found = piece.search(text, index)
            if found is None:
                return False
            index = found.end()
        if self._tail is None:
            return True
        start = len(text) - self._tail_size
        return start >= index and self._tail.fullmatch(text, start) is not None


@functools.lru_cache(maxsize=256)
def _like(pattern: str, fold: bool) -> _Like:
    return _Like(pattern, fold)


# --- events as rows -----------------------------------------------------------------------------

_MISSING: Final = object()


class _Row:
    """One event being evaluated; its JSON data is parsed at most once, on first use."""

    __slots__ = ("_doc", "_parsed", "event", "record")

    def __init__(self, record: EventRecord) -> None:
        self.record = record
        self.event = record.event
        self._doc: dict[str, Any] | None = None
        self._parsed = False

    def doc(self) -> dict[str, Any] | None:
        """The event's data as a JSON object, or None if it is not one."""
        if not self._parsed:
            try:
                doc = json.loads(self.event.data)
            except (ValueError, RecursionError):
                doc = None
            self._doc = doc if isinstance(doc, dict) else None
            self._parsed = True
        return self._doc


class _RowCache:
    """Remembers the last row so that ``matches`` and ``project`` share one JSON parse."""

    __slots__ = ("row",)

    def __init__(self) -> None:
        self.row: _Row | None = None


def _lookup(doc: object, path: tuple[str, ...]) -> object:
    """Follow ``path`` into parsed JSON; _MISSING if a step is absent."""
    for key in path:
        if isinstance(doc, dict):
            doc = doc.get(key, _MISSING)
        elif isinstance(doc, list) and key.isascii() and key.isdigit() and int(key) < len(doc):
            doc = doc[int(key)]
        else:
            return _MISSING
        if doc is _MISSING:
            return _MISSING
    return doc


Getter = Callable[[_Row], object]
Predicate = Callable[[_Row], bool]


def _created_ms(row: _Row) -> object:
    event = row.event
    return event.created.ToMilliseconds() if event.HasField("created") else None


def _version(row: _Row) -> object:
    kind = row.event.type
    return (kind.major_version, kind.minor_version, kind.patch_version)


_SPECIAL: Final[dict[str, tuple[Getter, Converter | None]]] = {
    "offset": (lambda row: row.record.offset, None),
    "id": (lambda row: row.record.id, _id_value),
    "timestamp": (lambda row: row.record.committed_ms, _time_value),
    "committed": (lambda row: row.record.committed_ms, _time_value),
    "created": (_created_ms, _time_value),
    "type": (lambda row: row.event.type.name, None),
    "type.name": (lambda row: row.event.type.name, None),
    "version": (_version, _version_value),
    "type.version": (_version, _version_value),
    "type.major": (lambda row: row.event.type.major_version, None),
    "type.minor": (lambda row: row.event.type.minor_version, None),
    "type.patch": (lambda row: row.event.type.patch_version, None),
    "type.major_version": (lambda row: row.event.type.major_version, None),
    "type.minor_version": (lambda row: row.event.type.minor_version, None),
    "type.patch_version": (lambda row: row.event.type.patch_version, None),
    "mimetype": (lambda row: _mime_text(row.event.mimetype), _mime_value),
}


@dataclass(frozen=True, slots=True)
class _Ref:
    """A field reference. ``kind``: special, metadata, metadata_all, data, data_all or bare."""

    kind: str
    key: str = ""
    path: tuple[str, ...] = ()
    get: Getter | None = None
    convert: Converter | None = None


def _data_getter(path: tuple[str, ...]) -> Getter:
    if len(path) == 1:
        key = path[0]

        def get_field(row: _Row) -> object:
            doc = row.doc()
            return None if doc is None else doc.get(key)

        return get_field

    def get_path(row: _Row) -> object:
        value = _lookup(row.doc(), path)
        return None if value is _MISSING else value

    return get_path


def _bare_getter(key: str, path: tuple[str, ...]) -> Getter:
    data = _data_getter(path)

    def get(row: _Row) -> object:
        metadata = row.event.metadata
        return metadata[key] if key in metadata else data(row)

    return get


def _resolve(parts: list[str], quoted: bool) -> _Ref:
    """Work out what a (dotted) name refers to.

    Raises:
        _BadValue: for ``type.<something unknown>``.
    """
    if not quoted:
        head = parts[0].lower()
        if head == "metadata":
            if len(parts) == 1:
                return _Ref("metadata_all")
            key = ".".join(parts[1:])

            def get_metadata(row: _Row) -> object:
                return row.event.metadata.get(key)

            return _Ref("metadata", key=key, get=get_metadata)
        if head == "data":
            if len(parts) == 1:
                return _Ref("data_all", get=lambda row: row.event.data)
            path = tuple(parts[1:])
            return _Ref("data", key=".".join(path), path=path, get=_data_getter(path))
        special = _SPECIAL.get(".".join(parts).lower())
        if special is not None:
            return _Ref("special", key=head, get=special[0], convert=special[1])
        if head == "type":
            raise _BadValue(
                f"unknown type attribute {'.'.join(parts)!r}; use type.name, type.version, "
                "type.major, type.minor or type.patch"
            )
    key, path = ".".join(parts), tuple(parts)
    return _Ref("bare", key=key, path=path, get=_bare_getter(key, path))


# --- predicates ---------------------------------------------------------------------------------


def _always(row: _Row) -> bool:
    return True


def _never(row: _Row) -> bool:
    return False


def _constant(result: bool) -> Predicate:
    return _always if result else _never


def _negate(predicate: Predicate) -> Predicate:
    if predicate is _always:
        return _never
    if predicate is _never:
        return _always
    return lambda row: not predicate(row)


def _all(predicates: list[Predicate]) -> Predicate:
    if _never in predicates:
        return _never
    rest = tuple(p for p in predicates if p is not _always)
    if not rest:
        return _always
    if len(rest) == 1:
        return rest[0]
    if len(rest) == 2:
        first, second = rest
        return lambda row: first(row) and second(row)

    def every(row: _Row) -> bool:
        return all(p(row) for p in rest)

    return every


def _any(predicates: list[Predicate]) -> Predicate:
    if _always in predicates:
        return _always
    rest = tuple(p for p in predicates if p is not _never)
    if not rest:
        return _never
    if len(rest) == 1:
        return rest[0]
    if len(rest) == 2:
        first, second = rest
        return lambda row: first(row) or second(row)

    def some(row: _Row) -> bool:
        return any(p(row) for p in rest)

    return some


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


@dataclass(frozen=True, slots=True)
class _Operand:
    """One side of a comparison: a field, or a constant (a literal or a bound parameter)."""

    tok: _Tok
    get: Getter
    const: bool = False
    value: object = None
    raw: str | None = None
    """A number literal's source text (so that ``version = 1.10`` is not read as 1.1)."""
    convert: Converter | None = None


def _literal(tok: _Tok, value: object, raw: str | None = None) -> _Operand:
    return _Operand(tok, lambda row: value, const=True, value=value, raw=raw)


_COMPARISONS: Final[dict[str, Comparison]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# --- the query ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Selected:
    """One item of the SELECT list."""

    ref: _Ref
    alias: str | None


@dataclass(frozen=True)
class EnsqlQuery:
    """A parsed EnSQL query: which topic and event type, which events, which part of them."""

    topic: str
    type_name: str | None = None
    """Only events of this type name match (from ``FROM topic.TypeName``)."""
    type_version: tuple[int, ...] | None = None
    """Only events whose (major, minor, patch) version starts with this match."""
    offset: int = 0
    """How many matching events to skip."""
    limit: int | None = None
    """The most matching events to return, or None for all."""
    text: str = field(default="", compare=False)
    """The query as given."""
    _where: Predicate | None = field(default=None, repr=False, compare=False)
    _select: tuple[_Selected, ...] | None = field(default=None, repr=False, compare=False)
    _cache: _RowCache = field(default_factory=_RowCache, repr=False, compare=False)

    @property
    def selects_all(self) -> bool:
        """True for ``SELECT *``: :meth:`project` returns events unchanged."""
        return self._select is None

    def _row(self, record: EventRecord) -> _Row:
        row = self._cache.row
        if row is None or row.record is not record:
            row = _Row(record)
            self._cache.row = row
        return row

    def matches(self, record: EventRecord) -> bool:
        """Return True if the event has the queried type and satisfies the WHERE clause."""
        if self.type_name is not None:
            kind = record.event.type
            if kind.name != self.type_name:
                return False
            wanted = self.type_version
            if wanted:
                version = (kind.major_version, kind.minor_version, kind.patch_version)
                if version[: len(wanted)] != wanted:
                    return False
        where = self._where
        return where is None or where(self._row(record))

    def project(self, record: EventRecord) -> Event:
        """Return the event cut down to the SELECT list.

        ``*`` returns the event itself. Otherwise the result keeps the mimetype, type and created
        time, and only the selected metadata keys. Its data is the original data if ``data`` is
        selected or no data field is; else a compact JSON object of the selected data fields the
        event has (and the mimetype becomes application/json).
        """
        if self._select is None:
            return record.event
        row = self._row(record)
        event = row.event
        out = Event(mimetype=event.mimetype)
        if event.HasField("type"):
            out.type.CopyFrom(event.type)
        if event.HasField("created"):
            out.created.CopyFrom(event.created)
        metadata = event.metadata
        fields: dict[str, Any] = {}
        keep_data = False
        data_fields = False
        for item in self._select:
            ref = item.ref
            kind = ref.kind
            if kind == "metadata_all":
                for key, value in metadata.items():
                    out.metadata[key] = value
                continue
            if kind == "data_all":
                keep_data = True
                continue
            if kind == "metadata" or (kind == "bare" and ref.key in metadata):
                if ref.key in metadata:
                    out.metadata[item.alias or ref.key] = metadata[ref.key]
                continue
            if kind not in ("data", "bare"):
                continue  # offset, type, ...: carried by the event or its envelope anyway
            data_fields = True
            value = _lookup(row.doc(), ref.path)
            if value is _MISSING:
                continue
            if item.alias is not None or len(ref.path) == 1:
                fields[item.alias or ref.path[0]] = value
                continue
            target = fields
            for key in ref.path[:-1]:
                nested = target.get(key)
                if not isinstance(nested, dict):
                    nested = target[key] = {}
                target = nested
            target[ref.path[-1]] = value
        if keep_data or not data_fields:
            out.data = event.data
        else:
            out.data = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
            out.mimetype = mimetype_pb2.APPLICATION_JSON
        return out


# --- the parser ---------------------------------------------------------------------------------

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
