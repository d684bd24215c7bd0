"""Durable storage: the SQLite (WAL) event log and its single group-commit writer."""
