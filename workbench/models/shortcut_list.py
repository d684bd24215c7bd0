"""The keyboard shortcuts to list in Help → Keyboard shortcuts, from what the window has.

The views describe a shortcut where they make it: an action's text, a "What's This" text, or the
tooltip of the control it drives, which ends with the keys in parentheses ("Run the query
(Ctrl+Return)"). The dialog gathers them (``qt_shortcuts_dialog``); this module turns the
findings into rows: descriptions cleaned, keypad Enter folded into Return, duplicates dropped,
in the order of the window's areas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shortcut:
    """One shortcut: where it works (a menu, a tab, a panel), its keys, and what it does."""

    area: str
    keys: str
    description: str


def clean_text(text: str) -> str:
    """An action's text or a tooltip as a description: its first sentence, without mnemonics
    (``&``), a trailing ellipsis or the keys in parentheses at its end ("(Ctrl+R)")."""
    text = text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()
    text = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    text = re.sub(r"\s*\([^\s()]+\)$", "", text)
    return text.rstrip("…").rstrip(". ").strip()


def names_keys(tooltip: str, keys: str) -> bool:
    """Whether a tooltip ends by naming these keys, as the views' tooltips do."""
    return tooltip.rstrip().endswith(f"({keys})")


def return_key(keys: str) -> str:
    """The keys with the keypad's Enter written as Return (views bind both to one thing)."""
    return keys[: -len("Enter")] + "Return" if keys.endswith("Enter") else keys


def shortcut_rows(found: Iterable[Shortcut], areas: Sequence[str]) -> list[Shortcut]:
    """Each shortcut once, those of ``areas`` in that order (others after them, by name); in an
    area, plain keys first, then by their modifiers and keys ("1", "P", "Ctrl+1", "Ctrl+K")."""
    unique = {(s.area, return_key(s.keys), s.description) for s in found if s.keys}
    rank = {area: index for index, area in enumerate(areas)}
    rows = [Shortcut(area, keys, text) for area, keys, text in unique]
    return sorted(
        rows,
        key=lambda s: (rank.get(s.area, len(rank)), s.area, s.keys.count("+"), s.keys),
    )
