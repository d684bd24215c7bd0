"""An embedded, Ensign-compatible event broker: durable encrypted event log, projects and topics."""

from __future__ import annotations

__version__ = "0.1.0"
