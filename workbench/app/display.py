"""Finding out, before Qt does, whether the app can open a window here."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

NO_DISPLAY_MESSAGE = (
    "ensign-workbench: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). "
    "Run it on a desktop session, under Xvfb (xvfb-run ensign-workbench), or run the broker "
    "without a GUI: ensign-broker --help"
)


def missing_display(
    env: Mapping[str, str] | None = None, platform: str | None = None
) -> str | None:
    """Return a one-line explanation if no window can be opened, else None.

    Only Linux and the BSDs need a display server; an explicit ``QT_QPA_PLATFORM`` (for
    example ``offscreen``) is always respected.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("QT_QPA_PLATFORM"):
        return None
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY_MESSAGE
