"""Pages of a topic list that stay right while topics are created and destroyed.

A page token names the last topic of its page (its project and name), not a position: the next
page starts after that name in the list as it is then. A topic that exists from the first page to
the last is therefore listed exactly once, whatever is created or destroyed meanwhile (a position
in the live list would skip a topic after a destroy on an earlier page, or repeat one after a
create). The token is opaque to clients: URL-safe base64 of ``v1:<project hex>:<name>``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Protocol, TypeVar

from embedded_broker.core.errors import InvalidArgument

_PREFIX = "v1:"


class Listed(Protocol):
    """What paging reads of a topic."""

    @property
    def project_id(self) -> bytes: ...

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Listed)


def page_after(topics: Sequence[T], size: int, token: str) -> tuple[list[T], str]:
    """One page of ``topics`` (sorted by project, then name) and the next page's token.

    Args:
        topics: every topic listed, sorted by ``(project_id, name)``.
        size: the most topics on the page (at least 1).
        token: "" for the first page, else the token of the page before.

    Returns:
        The page, and the token of the next one ("" after the last page).

    Raises:
        InvalidArgument: if ``token`` is not one this broker gave out.
    """
    rest = list(topics)
    if token:
        after = _decode(token)
        rest = [t for t in rest if (t.project_id, t.name) > after]
    page = rest[:size]
    if len(rest) <= size:
        return page, ""
    last = page[-1]
    return page, _encode(last.project_id, last.name)


def _encode(project_id: bytes, name: str) -> str:
    text = f"{_PREFIX}{project_id.hex()}:{name}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode(token: str) -> tuple[bytes, str]:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if not text.startswith(_PREFIX):
            raise ValueError(token)
        project_hex, name = text[len(_PREFIX) :].split(":", 1)
        return bytes.fromhex(project_hex), name
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidArgument("the page token is not one this broker gave out") from None
