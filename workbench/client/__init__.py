"""The workbench's only way to a broker: an async client of its public gRPC API."""
