"""Network endpoints of the broker outside gRPC (the authentication HTTP API)."""
