"""What a new API key may do: four presets for the usual jobs, or any set of permissions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workbench.client.broker_rules import ENSIGN_PERMISSIONS, PERMISSIONS

ADMIN = "broker:admin"
CUSTOM = "Custom"
"""The name shown for a set of permissions that is no preset."""


@dataclass(frozen=True, slots=True)
class KeyPreset:
    """A named set of permissions.

    Attributes:
        name: what the user picks ("Publisher").
        permissions: the permission names it grants, in :data:`PERMISSIONS` order.
        purpose: one line on what a key with it is for.
    """

    name: str
    permissions: tuple[str, ...]
    purpose: str


PRESETS: tuple[KeyPreset, ...] = (
    KeyPreset(
        "Full access",
        ENSIGN_PERMISSIONS,
        "every Ensign permission: publish, subscribe, query, manage topics, read metrics",
    ),
    KeyPreset(
        "Publisher",
        ("publisher", "topics:read"),
        "a producer: publish events to the project's topics",
    ),
    KeyPreset(
        "Subscriber",
        ("subscriber", "topics:read"),
        "a consumer: subscribe to topics and run EnSQL queries",
    ),
    KeyPreset(
        "Read-only",
        ("topics:read", "metrics:read"),
        "a dashboard: list topics and read metrics, change nothing",
    ),
)


def ordered(permissions: Iterable[str]) -> tuple[str, ...]:
    """``permissions`` without repeats, in :data:`PERMISSIONS` order (unknown names last)."""
    chosen = set(permissions)
    known = [p for p in PERMISSIONS if p in chosen]
    return (*known, *sorted(chosen.difference(PERMISSIONS)))


def preset(name: str) -> KeyPreset:
    """The preset called ``name``.

    Raises:
        KeyError: if there is none.
    """
    for candidate in PRESETS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def preset_name(permissions: Iterable[str]) -> str:
    """The name of the preset granting exactly ``permissions``, else :data:`CUSTOM`."""
    chosen = set(permissions)
    return next((p.name for p in PRESETS if set(p.permissions) == chosen), CUSTOM)


def describe_permissions(permissions: Iterable[str]) -> str:
    """A key's permissions in a few words: a preset's name, "broker admin" (which may do
    everything), or the permissions themselves."""
    names = ordered(permissions)
    if ADMIN in names:
        return "Broker admin: everything"
    found = preset_name(names)
    return found if found != CUSTOM else ", ".join(names)
