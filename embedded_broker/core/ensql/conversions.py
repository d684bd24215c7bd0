"""Converting a literal compared with a time, version, mimetype or id field to its terms."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Final

from embedded_broker.core.ensql.tokens import _INT, _VERSION
from embedded_broker.core.mime_names import mime_number, mime_text


class _BadValue(Exception):
    """A literal cannot be compared with the field it is compared with."""


Converter = Callable[[object, str | None], object]
"""Turns a literal (its value, and its source text if it is a number) into a field's terms."""


def _mime_value(value: object, raw: str | None) -> object:
    if isinstance(value, str):
        number = mime_number(value)
        if number is None:
            raise _BadValue(f"unknown mimetype {value!r}")
        return mime_text(number)
    if isinstance(value, int) and not isinstance(value, bool):
        return mime_text(value)
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
