"""Ensign's API key permissions."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from embedded_broker.core.errors import InvalidArgument


class Permission(enum.StrEnum):
    """What an API key may do (the names are Ensign's)."""

    PUBLISHER = "publisher"
    SUBSCRIBER = "subscriber"
    TOPICS_CREATE = "topics:create"
    TOPICS_EDIT = "topics:edit"
    TOPICS_DESTROY = "topics:destroy"
    TOPICS_READ = "topics:read"
    METRICS_READ = "metrics:read"
    BROKER_ADMIN = "broker:admin"
    """The broker's own addition, not Ensign's: manage projects and keys, act on any project."""


ENSIGN_PERMISSIONS = frozenset(p for p in Permission if p is not Permission.BROKER_ADMIN)
"""Every permission an Ensign API key can carry."""

EXPLANATIONS: dict[Permission, str] = {
    Permission.PUBLISHER: "publish events to the project's topics",
    Permission.SUBSCRIBER: "read events: subscribe, run EnSQL queries, page through topics",
    Permission.TOPICS_CREATE: "create topics",
    Permission.TOPICS_EDIT: "archive topics and change their deduplication policy",
    Permission.TOPICS_DESTROY: "destroy topics and all their events, for good",
    Permission.TOPICS_READ: "list topics and read their details and statistics (not their events)",
    Permission.METRICS_READ: "read the project's metrics: rates, latency, consumer-group lag",
    Permission.BROKER_ADMIN: "this broker's own: manage projects and keys, use every project",
}
"""What each permission allows, in one line."""


def parse_permissions(names: Iterable[str]) -> frozenset[Permission]:
    """Parse permission names.

    Raises:
        InvalidArgument: naming the unknown permission and listing the valid ones.
    """
    parsed = set()
    for name in names:
        try:
            parsed.add(Permission(name.strip()))
        except ValueError:
            valid = ", ".join(p.value for p in Permission)
            raise InvalidArgument(f"unknown permission {name!r}; valid: {valid}") from None
    if not parsed:
        raise InvalidArgument("an API key needs at least one permission")
    return frozenset(parsed)
