"""Where the broker keeps its data, and how to override it."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "ensign-workbench"
DATA_DIR_ENV = "ENSIGN_BROKER_DATA_DIR"
PASSPHRASE_ENV = "ENSIGN_BROKER_PASSPHRASE"


def default_data_dir() -> Path:
    """The broker's data directory: ``$ENSIGN_BROKER_DATA_DIR``, else the user data directory.

    On Linux that is ``~/.local/share/ensign-workbench/broker``.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return user_data_path(APP_NAME, appauthor=False) / "broker"


def passphrase_from_env() -> str | None:
    """The master-key passphrase from ``$ENSIGN_BROKER_PASSPHRASE``, if set."""
    return os.environ.get(PASSPHRASE_ENV) or None
