"""The broker's own admin API (generated code)."""
