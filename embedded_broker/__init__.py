"""An embedded, Ensign-compatible event broker: durable encrypted event log, projects and topics."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "ensign-workbench"
"""The distribution that ships the broker and the workbench: its metadata holds the version of
both (``pyproject.toml`` sets it; a frozen bundle carries the metadata along)."""


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a source tree on sys.path that was never installed
        return "0+unknown"


__version__ = _version()
