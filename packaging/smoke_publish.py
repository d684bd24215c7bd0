"""Publish one event with the unmodified pyensign SDK and read it back (run by smoke_test.py
with pyensign's own interpreter; prints what it saw as JSON).

    python smoke_publish.py '{"endpoint": ..., "auth_url": ..., "client_id": ..., ...}'
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from pyensign.ensign import Ensign
from pyensign.events import Event

TOPIC = "bundle-smoke"


async def main(cfg: dict[str, Any]) -> dict[str, Any]:
    ens = Ensign(
        client_id=cfg["client_id"],
        client_secret=cfg["client_secret"],
        endpoint=cfg["endpoint"],
        insecure=True,
        auth_url=cfg["auth_url"],
    )
    await ens.ensure_topic_exists(TOPIC)
    body = {"hello": "from pyensign", "to": "the bundled broker"}
    event = Event(
        json.dumps(body).encode(),
        mimetype="application/json",
        schema_name="Smoke",
        schema_version="1.0.0",
    )
    await ens.publish(TOPIC, event)
    ack = await asyncio.wait_for(event.wait_for_ack(), 30)
    cursor = await asyncio.wait_for(ens.query(f"SELECT * FROM {TOPIC}"), 30)
    rows = await asyncio.wait_for(cursor.fetchall(), 30)
    await asyncio.wait_for(ens.close(), 10)
    return {
        "acked": ack is not None,
        "committed": str(getattr(ack, "committed", "")),
        "rows": len(rows),
        "read_back": json.loads(rows[0].data) == body if rows else False,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
