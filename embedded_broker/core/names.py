"""Validation of project and topic names, following Ensign's rules."""

from __future__ import annotations

import re

from embedded_broker.core.errors import InvalidArgument

TOPIC_NAME_MAX = 512
PROJECT_NAME_MAX = 512
_TOPIC_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9.\-_]*")


def validate_topic_name(name: str) -> str:
    """Return ``name`` if it is a valid topic name.

    A topic name starts with a letter, then letters, digits, ``.``, ``-`` or ``_``; at most 512
    characters.

    Raises:
        InvalidArgument: with the rule the name breaks.
    """
    if not isinstance(name, str) or not name:
        raise InvalidArgument("a topic name is required")
    if len(name) > TOPIC_NAME_MAX:
        raise InvalidArgument(
            f"topic name is {len(name)} characters long; the limit is {TOPIC_NAME_MAX}"
        )
    if not _TOPIC_NAME.fullmatch(name):
        if not name[0].isascii() or not name[0].isalpha():
            raise InvalidArgument(
                f"topic name {name!r} must start with a letter a-z or A-Z (not {name[0]!r})"
            )
        bad = next(c for c in name if not _TOPIC_NAME.fullmatch("a" + c))
        raise InvalidArgument(
            f"topic name {name!r} may contain only letters a-z and A-Z, digits 0-9, '.', '-'"
            f" and '_' (not {bad!r})"
        )
    return name


def validate_project_name(name: str) -> str:
    """Return ``name`` stripped if it is a usable project name.

    Raises:
        InvalidArgument: if it is empty, too long, or contains control characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument("a project name is required")
    name = name.strip()
    if len(name) > PROJECT_NAME_MAX:
        raise InvalidArgument(
            f"project name is {len(name)} characters long; the limit is {PROJECT_NAME_MAX}"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidArgument("a project name may not contain control characters")
    return name
