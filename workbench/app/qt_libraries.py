"""Naming the system libraries Qt's X11 (xcb) platform needs, before Qt aborts without them."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

# Library soname -> the Debian/Ubuntu package that provides it.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}


def _loadable(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def missing_xcb_libraries(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    loadable: Callable[[str], bool] = _loadable,
) -> list[str]:
    """The Debian packages missing for Qt's xcb platform here (empty if none or not needed)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return []
    chosen = env.get("QT_QPA_PLATFORM", "")
    uses_xcb = chosen.startswith("xcb") or (not chosen and bool(env.get("DISPLAY")))
    if not uses_xcb or (env.get("WAYLAND_DISPLAY") and not chosen):
        return []
    return sorted({pkg for lib, pkg in XCB_LIBRARIES.items() if not loadable(lib)})


def missing_libraries_message(packages: list[str]) -> str:
    """One line saying what to install."""
    return (
        "ensign-workbench: Qt cannot open an X11 window here because system libraries are "
        f"missing; install them with: sudo apt install {' '.join(packages)}"
    )
