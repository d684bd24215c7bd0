"""An embedded, Ensign-compatible event broker: durable encrypted event log, projects and topics."""

from __future__ import annotations

import os
from importlib import metadata

# gRPC's C core reads its log level once, when grpc is first imported, and otherwise writes
# INFO lines (a failed TLS handshake, say) to stderr; the broker and the workbench report such
# failures themselves, in one line. A level set in the environment is kept.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

DISTRIBUTION = "ensign-workbench"
"""The distribution that ships the broker and the workbench: its metadata holds the version of
both (``pyproject.toml`` sets it; a frozen bundle carries the metadata along)."""


def _version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a source tree on sys.path that was never installed
        return "0+unknown"


__version__ = _version()
