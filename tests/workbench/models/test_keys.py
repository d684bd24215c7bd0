"""Key presets and how keys are listed (no Qt, no broker)."""

from __future__ import annotations

import pytest

from workbench.client.broker_rules import ENSIGN_PERMISSIONS, PERMISSION_TEXT, PERMISSIONS
from workbench.client.records import KeyRow
from workbench.models.key_listing import COLUMNS, CREATED, LAST_USED, STATUS, key_line
from workbench.models.key_listing import PERMISSIONS as PERM_COL
from workbench.models.key_presets import (
    CUSTOM,
    PRESETS,
    describe_permissions,
    ordered,
    preset,
    preset_name,
)

NOW = 1_750_000_000_000


def test_the_presets_grant_what_the_issue_names() -> None:
    assert {p.name: set(p.permissions) for p in PRESETS} == {
        "Full access": set(ENSIGN_PERMISSIONS),
        "Publisher": {"publisher", "topics:read"},
        "Subscriber": {"subscriber", "topics:read"},
        "Read-only": {"topics:read", "metrics:read"},
    }
    assert "broker:admin" not in preset("Full access").permissions
    assert set(PERMISSION_TEXT) == set(PERMISSIONS), "every permission is explained"
    assert all(len(text) < 80 and "\n" not in text for text in PERMISSION_TEXT.values())


def test_a_set_of_permissions_is_named_by_its_preset_or_listed() -> None:
    assert preset_name(["topics:read", "publisher"]) == "Publisher"
    assert preset_name(["publisher"]) == CUSTOM
    assert describe_permissions(["metrics:read", "topics:read"]) == "Read-only"
    assert describe_permissions(["topics:read", "publisher"]) == "Publisher"
    assert describe_permissions(["topics:read", "publisher", "topics:edit"]) == (
        "publisher, topics:edit, topics:read"
    )
    assert describe_permissions(["broker:admin", "publisher"]) == ("Broker admin: everything")
    assert ordered(["topics:read", "publisher", "publisher"]) == ("publisher", "topics:read")
    with pytest.raises(KeyError):
        preset("Admin")


def key(**changes: object) -> KeyRow:
    fields: dict[str, object] = {
        "client_id": "A" * 32,
        "project_id": b"p" * 16,
        "name": "orders service",
        "permissions": ("topics:read", "publisher"),
        "created_ms": NOW - 2 * 86_400_000,
        "last_used_ms": NOW - 180_000,
        "revoked_ms": 0,
    }
    fields.update(changes)
    return KeyRow(**fields)  # type: ignore[arg-type]


def test_keys_read_as_ages_with_the_exact_times_in_tooltips_and_never_a_secret() -> None:
    line = key_line(key(), NOW)
    assert len(line.cells) == len(COLUMNS)
    assert line.cells == (
        "orders service",
        "A" * 32,
        "Publisher",
        "2 days ago",
        "3 min ago",
        "active",
    )
    assert line.tooltips[PERM_COL] == "publisher\ntopics:read"
    assert line.tooltips[LAST_USED].startswith("20") and line.tooltips[CREATED].startswith("20")
    assert line.active and not line.own


def test_never_used_revoked_and_own_keys_say_so() -> None:
    never = key_line(key(last_used_ms=0, name=""), NOW)
    assert never.cells[0] == "—" and never.cells[LAST_USED] == "never"
    assert never.tooltips[LAST_USED] == "never used"
    revoked = key_line(key(revoked_ms=NOW - 60_000), NOW)
    assert revoked.cells[STATUS] == "revoked" and not revoked.active
    assert revoked.tooltips[STATUS].startswith("revoked 20")
    own = key_line(key(), NOW, own_client_id="A" * 32)
    assert own.own and own.cells[STATUS] == "active (this workbench)"
