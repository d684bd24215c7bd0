"""Ensign Workbench: a desktop application to see and drive event streams."""

from __future__ import annotations

# One distribution ships both programs; its metadata holds the version (see embedded_broker).
from embedded_broker import DISTRIBUTION, __version__

__all__ = ["DISTRIBUTION", "__version__"]
