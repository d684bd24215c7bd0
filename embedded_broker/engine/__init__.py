"""The broker's engine: its state and rules, with no wire protocol.

Publish admission, subscriptions and delivery, consumer groups, queries, paged reads, metrics and
commit signals live here, over the storage, auth and crypto layers. It runs on one asyncio event
loop and hands blocking work to threads; it never imports grpc or the ``api`` adapters, so its
tests run in-process with plain values.
"""
