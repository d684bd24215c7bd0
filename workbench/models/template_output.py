"""Values of template expressions written as JSON or text, and text made safe to encode as UTF-8.

JSON is written as it is (no HTML escaping: ``<`` stays ``<``), compact, with only what JSON
requires escaped (``"``, ``\\``, control characters). Values that are not JSON types are written
as: dates and times → ISO 8601 text; ``Decimal`` → a number; UUID → text; sets → sorted lists;
``timedelta`` → seconds; tuples and iterators → lists. NaN and ±Infinity, bytes and other objects
are refused (``ValueError``/``TypeError``): JSON has no NaN, so an event is refused rather than
written with a silent ``null``.

Python strings may hold lone surrogates (``\\ud800``), which UTF-8 cannot encode: in JSON they
are written as ``\\uXXXX`` escapes (a JSON reader gets the same code points back); in text, type
names and metadata they become U+FFFD.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any, Final

from jinja2 import Undefined

from workbench.models.template_sandbox import check_size

_SURROGATES: Final = re.compile("[\ud800-\udfff]")
_JSON_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=lambda o: _json_default(o)
)


def json_value(value: Any) -> str:
    """``value`` as JSON text.

    Raises:
        ValueError: for NaN or ±Infinity, or an integer too long to write (over 4,300 digits).
        TypeError: for bytes and other values with no JSON form.
        SandboxRefusal: for a value larger than the sandbox allows.
        jinja2.UndefinedError: for an undefined value.
    """
    kind = type(value)
    if kind is str:
        return str(encode_basestring(value))
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if math.isfinite(value):
            return float.__repr__(value)
        raise ValueError(f"{value} is not a JSON number (NaN and Infinity are refused)")
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    check_size(value, "the value")
    try:
        return _JSON_ENCODER.encode(value)
    except ValueError as exc:
        if "Out of range float" in str(exc):
            raise ValueError("NaN and Infinity are not JSON numbers (they are refused)") from None
        raise


def json_string_part(value: Any) -> str:
    """``value`` as text, escaped to stand inside a JSON string (without the quotes)."""
    text: str = encode_basestring(value if type(value) is str else text_of(value))
    return text[1:-1]


def json_string(text: str) -> str:
    """``text`` as a JSON string, quotes included."""
    return str(encode_basestring(text))


def text_of(value: Any) -> str:
    """``value`` as Jinja2 writes it (``str()``).

    Raises:
        SandboxRefusal: for a value larger than the sandbox allows.
        jinja2.UndefinedError: for an undefined value.
    """
    if type(value) is str:
        return value
    check_size(value, "the value")
    return str(value)


def json_bytes(text: str) -> bytes:
    """JSON text as UTF-8, lone surrogates written as ``\\uXXXX`` escapes."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


def text_bytes(text: str) -> bytes:
    """Text as UTF-8, lone surrogates replaced by U+FFFD."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return valid_text(text).encode()


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (U+D800 to U+DFFF), which has no UTF-8 form."""
    return not text.isascii() and _SURROGATES.search(text) is not None


def valid_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (so it encodes as UTF-8)."""
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)


def _json_default(value: Any) -> Any:
    if isinstance(value, Undefined):
        return str(value)  # a StrictUndefined raises here, naming what is undefined
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:
            return sorted(value, key=repr)
    if isinstance(value, (Iterator, range)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("bytes are not JSON: write them as text with .hex() or .decode()")
    raise TypeError(f"a {type(value).__name__} value cannot be written as JSON")
