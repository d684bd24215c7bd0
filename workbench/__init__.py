"""Ensign Workbench: a desktop application to see and drive event streams."""

from __future__ import annotations

__version__ = "0.1.0"
