"""What can go wrong with an event template, said where it went wrong.

A location is a path into the template document: ``type``, ``metadata.region``,
``body.customer``, ``body.items[2].price``, ``body["a key"]``; an empty path means the document
itself.
"""

from __future__ import annotations

import re
from pathlib import Path

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class TemplateError(ValueError):
    """A template cannot be read, compiled or rendered.

    Attributes:
        path: where in the template (``body.customer``; ``""`` for the whole document).
        reason: what is wrong, in words a user can act on.
        file: the template file, when the template came from one.
    """

    def __init__(self, path: str, reason: str, file: Path | None = None) -> None:
        self.path = path
        self.reason = reason
        self.file = file
        super().__init__(self._text())

    def in_file(self, file: Path) -> TemplateError:
        """The same error, naming the file it came from."""
        return TemplateError(self.path, self.reason, file)

    def _text(self) -> str:
        where = ": ".join(str(part) for part in (self.file, self.path) if part)
        return f"{where}: {self.reason}" if where else self.reason


def child_path(parent: str, key: str | int) -> str:
    """The path of ``key`` (an object key or a list index) below ``parent``.

    >>> child_path("body", "customer"), child_path("body.items", 2), child_path("body", "a b")
    ('body.customer', 'body.items[2]', 'body["a b"]')
    """
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{parent}.{key}" if parent else key
    quoted = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if not quoted.isascii():  # a lone surrogate as its JSON escape, so the path prints
        quoted = quoted.encode("utf-8", "backslashreplace").decode("utf-8")
    return f"{parent}[{quoted}]"
