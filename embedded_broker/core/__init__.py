"""The broker's core model: identifiers, names, topics, events and deduplication (no I/O)."""
