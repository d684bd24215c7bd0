"""A publisher for the crash test: publishes until killed, printing what was acknowledged.

Usage: python crash_publisher.py DATA_DIR TOPIC_ID START_SEQ

Each event's data is derived from its sequence number, so the checker can verify every byte.
After each acknowledgement it prints ``ack <first_seq> <count> <first_offset>`` and flushes.
"""

from __future__ import annotations

import hashlib
import sys
import threading

from embedded_broker.proto.ensign.v1beta1.event_pb2 import Event, Type
from embedded_broker.storage.event_store import EventStore

PUBLISHERS = 4


def payload(seq: int) -> bytes:
    """The 256-byte data of event number ``seq``."""
    return hashlib.sha256(str(seq).encode()).digest() * 8


def event(seq: int) -> Event:
    return Event(
        data=payload(seq),
        metadata={"seq": str(seq)},
        mimetype=0,
        type=Type(name="CrashTest", major_version=1),
    )


def main() -> None:
    data_dir, topic_id, start = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3])
    store = EventStore.open(data_dir)
    lock = threading.Lock()
    counter = [start]

    def publish_forever() -> None:
        while True:
            with lock:
                first = counter[0]
                size = 1 + first % 97
                counter[0] += size
            receipt = store.publish(topic_id, [event(s) for s in range(first, first + size)])
            offset = receipt.result().first_offset
            with lock:
                sys.stdout.write(f"ack {first} {size} {offset}\n")
                sys.stdout.flush()

    print("ready", flush=True)
    for _ in range(PUBLISHERS):
        threading.Thread(target=publish_forever, daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
