"""Protocol buffers: Ensign's public ``ensign.v1beta1`` API (wire-compatible) and the broker's own.

The ``.proto`` files here are this project's own, written from Ensign's published message and
field numbers. Regenerate the Python modules with ``python -m embedded_broker.proto.generate``.
"""
