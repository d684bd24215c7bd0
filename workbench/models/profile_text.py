"""A profile's figures as short text, the same in the window and on a terminal."""

from __future__ import annotations

from workbench.models.event_export import iso_utc
from workbench.models.profile_drift import Drift
from workbench.models.topic_profile import FieldProfile


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage: ``25%``, ``0.4%``, ``<0.1%`` (empty of nothing)."""
    if not whole:
        return ""
    share = 100 * part / whole
    if share == 0 or share >= 10 or share == int(share):
        return f"{share:.0f}%"
    return f"{share:.1f}%" if share >= 0.1 else "<0.1%"


def types_text(field: FieldProfile) -> str:
    """The types seen at a path with their shares, most common first: ``integer 60%, string
    40%``."""
    ranked = sorted(field.types.items(), key=lambda tc: -tc[1])
    return ", ".join(f"{name} {percent(count, field.values)}" for name, count in ranked)


def number_text(value: float | None) -> str:
    """A number as a user reads it (at most 6 significant digits); empty for None."""
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}" if abs(value) < 10**15 else f"{value:.6g}"
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6g}"


def top_text(field: FieldProfile, limit: int = 3, chars: int = 24) -> str:
    """The most frequent strings with their counts: ``eu (40), us (20)``. Where counts are
    lower bounds (more distinct strings than counters) a ``≥`` marks them, and strings whose
    count is within the error (they may not be frequent at all) are left out."""
    mark = "≥" if field.top_error else ""
    frequent = [(v, c) for v, c in field.top_values if c > field.top_error]
    shown = []
    for value, count in frequent[:limit]:
        text = value if len(value) <= chars else value[: chars - 1] + "…"
        shown.append(f"{text} ({mark}{count:,})")
    return ", ".join(shown)


def drift_text(drift: Drift) -> str:
    """``amount changed type from integer to string at offset 31 (2024-05-01T12:00:00.123Z)``."""
    return f"{drift.describe()} at offset {drift.offset:,} ({iso_utc(drift.committed_ms)})"
