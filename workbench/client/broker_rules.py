"""The broker's rules a view needs, as plain values: topic and project names, ids, dedup
strategies, mimetypes, permissions, the standard ports, and how times are written.

Views and models never import ``embedded_broker``: what they need of its rules comes through
here, so each rule stays written once (in the broker's ``core``) and a caller sees only ``str``,
``int`` and ``bytes`` in, and :class:`~workbench.client.errors.InvalidInput` (with the broker's
message) out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from embedded_broker.api.listen_address import DEFAULT_AUTH, DEFAULT_GRPC, ListenAddress
from embedded_broker.auth.permissions import ENSIGN_PERMISSIONS as _ENSIGN
from embedded_broker.auth.permissions import EXPLANATIONS, Permission
from embedded_broker.core import dedup, ids, mime_names, names, timestamps
from embedded_broker.core.errors import InvalidArgument
from embedded_broker.core.model import MAX_EVENT_SIZE
from embedded_broker.core.time_text import local_time as local_time  # how listings write times
from embedded_broker.core.time_text import time_ago as time_ago
from embedded_broker.proto.mimetype.v1beta1 import mimetype_pb2
from workbench.client.errors import InvalidInput

DEDUP_STRATEGIES: Final[tuple[str, ...]] = tuple(s.name for s in dedup.DedupStrategy)
"""Ensign's deduplication strategy names in wire order: ``"NONE"``, ``"STRICT"``, …"""

# Mimetype numbers of Ensign's ``MIME`` enum (what ``NewEvent.mimetype`` and
# ``EventRow.mimetype`` hold).
APPLICATION_OCTET_STREAM: Final[int] = int(mimetype_pb2.APPLICATION_OCTET_STREAM)
TEXT_PLAIN: Final[int] = int(mimetype_pb2.TEXT_PLAIN)
TEXT_CSV: Final[int] = int(mimetype_pb2.TEXT_CSV)
APPLICATION_JSON: Final[int] = int(mimetype_pb2.APPLICATION_JSON)
APPLICATION_JSON_LD: Final[int] = int(mimetype_pb2.APPLICATION_JSON_LD)

MAX_EVENT_BYTES: Final[int] = MAX_EVENT_SIZE
"""The largest event the broker accepts, encoded (4,194,236 bytes: what an unmodified pyensign
receives under gRPC's default 4 MiB limit); an event's data is always less."""

VERSION_PART_MAX: Final[int] = 2**32 - 1
"""The largest number in a type version (``ensign.v1beta1.Type`` holds each as ``uint32``)."""

EARLIEST_CREATED_MS: Final[int] = timestamps.MIN_SECONDS * 1000
"""0001-01-01T00:00:00Z in milliseconds since the epoch: the earliest protobuf Timestamp."""
LATEST_CREATED_MS: Final[int] = timestamps.MAX_SECONDS * 1000 + 999
"""9999-12-31T23:59:59.999Z in milliseconds: the latest protobuf Timestamp."""


def type_version_parts(text: str) -> tuple[int, int, int]:
    """``"1.2"`` → ``(1, 2, 0)``: a type version as Ensign's major, minor and patch numbers.

    Raises:
        InvalidInput: not one to three dot-separated whole numbers, or a number above
            :data:`VERSION_PART_MAX` (``Type`` holds each as ``uint32``).
    """
    parts = text.strip().split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise InvalidInput(f"{text!r} is not a version like 1.2.0")
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    if max(numbers) > VERSION_PART_MAX:
        raise InvalidInput(f"the version {text!r} has a number above {VERSION_PART_MAX:,}")
    return numbers[0], numbers[1], numbers[2]


def check_created_ms(ms: int) -> int:
    """``ms`` (milliseconds since the epoch, UTC) if an event's ``created`` can hold it.

    Raises:
        InvalidInput: before year 1 or after year 9999, which a protobuf ``Timestamp`` cannot
            hold (a time in microseconds or nanoseconds read as milliseconds lands there).
    """
    if not EARLIEST_CREATED_MS <= ms <= LATEST_CREATED_MS:
        raise InvalidInput(
            f"the time {ms:,} ms is outside years 1 to 9999 (is it in µs or ns, not ms?)"
        )
    return ms


PERMISSIONS: Final[tuple[str, ...]] = tuple(p.value for p in Permission)
"""Every permission a key can hold, Ensign's first, then this broker's ``broker:admin``."""
ENSIGN_PERMISSIONS: Final[tuple[str, ...]] = tuple(p.value for p in Permission if p in _ENSIGN)
"""Ensign's own permissions (all but ``broker:admin``), in :data:`PERMISSIONS` order."""
PERMISSION_TEXT: Final[dict[str, str]] = {p.value: text for p, text in EXPLANATIONS.items()}
"""What each permission allows, in one line."""

STANDARD_GRPC_PORT: Final[int] = ListenAddress.parse(DEFAULT_GRPC).port
"""Ensign's usual local gRPC port (5356), where pyensign examples look."""
STANDARD_AUTH_PORT: Final[int] = ListenAddress.parse(DEFAULT_AUTH).port
"""Ensign's usual local auth port (5357)."""


def validate_topic_name(name: str) -> str:
    """Return ``name`` if the broker would accept it as a topic name.

    A topic name starts with a letter (a-z, A-Z), then letters, digits, ``.``, ``-`` or ``_``;
    at most 512 characters.

    Raises:
        InvalidInput: with the rule the name breaks (the broker's message, word for word).
    """
    try:
        return names.validate_topic_name(name)
    except InvalidArgument as exc:
        raise InvalidInput(str(exc)) from None


def mimetype_number(text: str) -> int:
    """The ``MIME`` number a mimetype's text means, as the broker reads it.

    Accepts the usual text ('application/json'), parameters ('text/csv; charset=utf-8'), common
    aliases ('application/x-ndjson'), the enum names ('APPLICATION_JSON'), in any case, and
    the number itself ('50').

    Raises:
        InvalidInput: if the broker knows no such mimetype.
    """
    stripped = text.strip()
    if stripped.isdigit() and int(stripped) in mime_names.KNOWN_MIMETYPES:
        return int(stripped)
    number = mime_names.mime_number(stripped)
    if number is None:
        raise InvalidInput(
            f"unknown mimetype {text!r}; use one such as application/json, text/plain or text/csv"
        )
    return number


def mimetype_text(number: int) -> str:
    """The usual text form of a ``MIME`` number ('application/json'); the number if unknown."""
    return mime_names.mime_text(number)


def validate_project_name(name: str) -> str:
    """Return ``name`` if the broker would accept it as a project name.

    Raises:
        InvalidInput: with the rule the name breaks (the broker's message).
    """
    try:
        return names.validate_project_name(name)
    except InvalidArgument as exc:
        raise InvalidInput(str(exc)) from None


def validate_dedup_policy(
    strategy: str, keys: Sequence[str] = (), fields: Sequence[str] = ()
) -> None:
    """Check a deduplication policy as the broker would before setting it.

    Args:
        strategy: one of :data:`DEDUP_STRATEGIES`.
        keys: metadata keys (KEY_GROUPED and UNIQUE_KEY need at least one).
        fields: top-level JSON fields (UNIQUE_FIELD needs at least one).

    Raises:
        InvalidInput: for an unknown strategy, missing keys or fields, or an empty key or field.
    """
    if strategy not in DEDUP_STRATEGIES:
        raise InvalidInput(
            f"unknown deduplication strategy {strategy!r}; use one of {', '.join(DEDUP_STRATEGIES)}"
        )
    try:
        dedup.DedupPolicy(dedup.DedupStrategy[strategy], keys=tuple(keys), fields=tuple(fields))
    except InvalidArgument as exc:
        raise InvalidInput(str(exc)) from None


def topic_id_text(topic_id: bytes) -> str:
    """A topic's id for people: an Ensign topic's ULID text, or a JetStream stream's name
    (whose id is the name itself, in UTF-8)."""
    if len(topic_id) == 16:
        try:
            return ids.ulid_str(topic_id)
        except InvalidArgument:
            pass
    return topic_id.decode("utf-8", "replace")


def ulid_str(raw: bytes) -> str:
    """A topic's or event's 16-byte ULID as its 26-character Crockford base32 text.

    Raises:
        InvalidInput: if ``raw`` is not 16 bytes long.
    """
    try:
        return ids.ulid_str(raw)
    except InvalidArgument as exc:
        raise InvalidInput(str(exc)) from None
