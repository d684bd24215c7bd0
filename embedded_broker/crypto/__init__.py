"""Encryption at rest: AES-256-GCM data keys per topic, wrapped by a master key."""
