"""Change data capture: committed database changes published to a broker as events.

A capture is a client of the broker like any other: it logs in with an API key and publishes
through the broker's public gRPC API (the generated ``ensign.v1beta1`` and admin messages under
``embedded_broker.proto``), never through the broker's engine or storage; an import-linter
contract in ``pyproject.toml`` holds it to that.

- :mod:`~change_capture.change_events`: the ``ChangeEvent`` 1.0.0 event every change becomes.
- :mod:`~change_capture.pg_values`, :mod:`~change_capture.pgoutput`: PostgreSQL's text values
  and its ``pgoutput`` logical replication messages, decoded with no I/O.
- :mod:`~change_capture.postgres_source`, :mod:`~change_capture.sqlite_source`: where changes
  come from (a replication slot; triggers writing a change log).
- :mod:`~change_capture.broker_link`: logging in, topics, batched publish with retries.
- :mod:`~change_capture.capture_loop`: the loop that publishes changes and confirms a source's
  position only once the broker has acknowledged everything before it.
- :mod:`~change_capture.cli`: ``ensign-broker capture postgres|sqlite``.
"""
