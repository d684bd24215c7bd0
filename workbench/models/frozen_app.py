"""Where the workbench's own files and programs are, installed or frozen into a bundle.

Installed from source (``pip install``), the resources are the repository's ``resources/`` and
the broker is this interpreter running ``-m embedded_broker``. In a frozen bundle (PyInstaller
sets ``sys.frozen``) there is no Python to run: the broker is the bundle's own ``ensign-broker``
executable, beside ``ensign-workbench``, and the resources are in the bundle's data folder
(``sys._MEIPASS``; next to the executable when a freezer does not set it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

BROKER_PROGRAM = "ensign-broker"
"""The broker's executable in a bundle (``ensign-broker.exe`` on Windows)."""


def is_frozen() -> bool:
    """True when running from a frozen bundle rather than from an interpreter."""
    return bool(getattr(sys, "frozen", False))


def bundle_data_dir() -> Path:
    """A frozen bundle's data folder (where ``resources/`` is); meaningful only when frozen."""
    data = getattr(sys, "_MEIPASS", None)
    return Path(data) if data else Path(sys.executable).resolve().parent


def broker_command(*args: str) -> list[str]:
    """The command line that runs ``ensign-broker ARGS…`` from this installation: the bundle's
    own executable when frozen, never a Python found on the machine; else this interpreter."""
    if is_frozen():
        executable = Path(sys.executable)
        return [str(executable.with_name(BROKER_PROGRAM + executable.suffix)), *args]
    return [sys.executable, "-m", "embedded_broker", *args]


def restore_library_path(environ: MutableMapping[str, str] = os.environ) -> None:
    """Give the programs a frozen app starts the library path the user had.

    PyInstaller's bootloader points ``LD_LIBRARY_PATH`` at the bundle's libraries (keeping the
    user's in ``LD_LIBRARY_PATH_ORIG``). Inherited, it would make the programs the app opens
    (the README's viewer through xdg-open) load the bundle's copies of system libraries. The
    app's own process is not affected (the loader read the variable at start), and the
    bundle's ``ensign-broker`` sets it again for itself.
    """
    if not is_frozen():
        return
    original = environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        environ.pop("LD_LIBRARY_PATH", None)
    else:
        environ["LD_LIBRARY_PATH"] = original
