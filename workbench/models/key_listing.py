"""API keys as the key manager lists them: readable cells, exact values in tooltips."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.client.records import KeyRow
from workbench.models.key_presets import describe_permissions, ordered
from workbench.models.time_display import LOCAL, TimeZoneChoice, exact_ms, time_ago

COLUMNS = ("Name", "ClientID", "Permissions", "Created", "Last used", "Status")
NAME, CLIENT_ID, PERMISSIONS, CREATED, LAST_USED, STATUS = range(len(COLUMNS))


@dataclass(frozen=True, slots=True)
class KeyLine:
    """One key as a table row.

    Attributes:
        client_id: the key's ClientID (never its secret: the broker does not keep it).
        cells: the text of each column of :data:`COLUMNS`.
        tooltips: the exact value behind each cell.
        active: False once revoked.
        own: True for the key this workbench is connected with (it cannot revoke itself).
    """

    client_id: str
    cells: tuple[str, ...]
    tooltips: tuple[str, ...]
    active: bool
    own: bool


def key_line(
    key: KeyRow, now_ms: int, own_client_id: str = "", zone: TimeZoneChoice = LOCAL
) -> KeyLine:
    """How to show ``key`` at ``now_ms``; ``own_client_id`` is the workbench's own key; exact
    times (in tooltips) and old dates in ``zone``, which they name."""
    own = key.client_id == own_client_id
    active = not key.revoked_ms
    if not active:
        status, status_tip = "revoked", f"revoked {exact_ms(key.revoked_ms, zone)}"
    elif own:
        status, status_tip = "active (this workbench)", "the key the workbench is connected with"
    else:
        status, status_tip = "active", "may authenticate"
    permissions = ordered(key.permissions)
    cells = (
        key.name or "—",
        key.client_id,
        describe_permissions(permissions),
        time_ago(key.created_ms, now_ms, zone),
        time_ago(key.last_used_ms, now_ms, zone),
        status,
    )
    tooltips = (
        key.name or "no name",
        key.client_id,
        "\n".join(permissions),
        exact_ms(key.created_ms, zone),
        exact_ms(key.last_used_ms, zone) if key.last_used_ms else "never used",
        status_tip,
    )
    return KeyLine(key.client_id, cells, tooltips, active, own)
