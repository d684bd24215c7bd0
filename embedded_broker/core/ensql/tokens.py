"""Splitting EnSQL text into tokens, and the patterns that read keywords, numbers and versions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from embedded_broker.core.ensql.errors import _error

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
