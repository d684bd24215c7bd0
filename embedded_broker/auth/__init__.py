"""API keys (Argon2id-hashed secrets), permissions, and signed short-lived access tokens."""
