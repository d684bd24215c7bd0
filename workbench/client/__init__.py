"""The workbench's only way to a broker.

- :mod:`~workbench.client.broker_client`: an async client of the broker's public gRPC API.
- :mod:`~workbench.client.authentication`: logging in over HTTP; whether a key is usable.
- :mod:`~workbench.client.broker_rules`: the broker's rules (names, ids, dedup, mimetypes) as
  plain values, for views and models, which never import ``embedded_broker``.
- :mod:`~workbench.client.records`, :mod:`~workbench.client.errors`: what comes back.
"""
