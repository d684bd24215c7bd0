"""JSON syntax highlighting without Qt: the tokens of a line and colours for light and dark themes.

Pretty-printed JSON keeps every string on one line (newlines inside strings are escaped), so a
line-by-line scan is exact for it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from typing import NamedTuple


class TokenKind(enum.Enum):
    """What a highlighted piece of JSON is."""

    KEY = "key"
    STRING = "string"
    NUMBER = "number"
    LITERAL = "literal"  # true, false, null


class Token(NamedTuple):
    """A span of a line: ``length`` characters from ``start``."""

    start: int
    length: int
    kind: TokenKind


_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*")(?P<colon>\s*:)?'
    r"|(?P<number>-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)"
    r"|(?P<literal>\b(?:true|false|null)\b)"
)

# Each pair is (light theme, dark theme); both meet WCAG AA contrast on their usual background.
_COLOURS: dict[TokenKind, tuple[str, str]] = {
    TokenKind.KEY: ("#1f4fa8", "#7cb3ff"),
    TokenKind.STRING: ("#17803d", "#8fd694"),
    TokenKind.NUMBER: ("#a34a00", "#f5b46b"),
    TokenKind.LITERAL: ("#8a2fa0", "#d69cf0"),
}


def json_tokens(line: str) -> Iterator[Token]:
    """The keys, strings, numbers and literals of one line of JSON, in order."""
    for match in _TOKEN.finditer(line):
        if match.group("string") is not None:
            kind = TokenKind.KEY if match.group("colon") else TokenKind.STRING
            yield Token(match.start("string"), len(match.group("string")), kind)
        elif match.group("number") is not None:
            yield Token(match.start(), len(match.group()), TokenKind.NUMBER)
        else:
            yield Token(match.start(), len(match.group()), TokenKind.LITERAL)


def json_colours(dark: bool) -> dict[TokenKind, str]:
    """Token colours (``#rrggbb``) readable on a light or a dark background."""
    return {kind: pair[1] if dark else pair[0] for kind, pair in _COLOURS.items()}
