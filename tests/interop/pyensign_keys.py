"""What a user's own pyensign program does with a key made in the workbench's key manager.

Run with pyensign's interpreter (``tests/interop/pyensign_env.py``), never with ours::

    python pyensign_keys.py use '<json config>'    # credentials from the config, the
                                                   # environment (a sourced .env) or cred_path
    python pyensign_keys.py hold '<json config>'   # subscribe, then report what a revocation did

``use`` lists topics, publishes one event and waits for its ack, and prints one JSON object.
``hold`` subscribes to ``topic``, prints ``live`` once an event arrives, waits for a line on
stdin (sent after the key was revoked), waits ``settle_s`` seconds and prints one JSON object:
how many events arrived before and after, and what listing topics and publishing do now.
The config holds ``endpoint``, ``auth_url``, ``topic`` and, for ``credentials: "config"``,
``client_id``/``client_secret``; ``credentials`` is ``config``, ``environment`` or
``cred_path`` (with ``cred_path``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from pyensign.ensign import Ensign
from pyensign.events import Event

TIMEOUT_S = 30.0


def client(cfg: dict[str, Any]) -> Ensign:
    """A pyensign client with the credentials where the config says they are."""
    where = cfg.get("credentials", "config")
    common = {"endpoint": cfg["endpoint"], "auth_url": cfg["auth_url"], "insecure": True}
    if where == "environment":  # what a sourced .env file gives a program
        return Ensign(
            endpoint=os.environ["ENSIGN_ENDPOINT"],
            auth_url=os.environ["ENSIGN_AUTH_URL"],
            insecure=True,
        )
    if where == "cred_path":
        return Ensign(cred_path=cfg["cred_path"], **common)
    return Ensign(client_id=cfg["client_id"], client_secret=cfg["client_secret"], **common)


async def attempt(awaitable: Any) -> dict[str, Any]:
    """``{"ok": ...}`` or ``{"error": {"class", "message"}}``."""
    try:
        value = await asyncio.wait_for(awaitable, TIMEOUT_S)
    except Exception as exc:
        return {"error": {"class": type(exc).__name__, "message": str(exc)}}
    return {"ok": value if isinstance(value, str | int | bool | list | None) else repr(value)}


async def topic_names(ens: Ensign) -> list[str]:
    return sorted(t.name for t in await ens.get_topics())


async def publish_one(ens: Ensign, topic: str, text: str) -> bool:
    event = Event(text.encode(), mimetype="text/plain", meta={"by": "pyensign_keys"})
    await ens.publish(topic, event)
    await event.wait_for_ack()
    return bool(event.acked())


async def use(cfg: dict[str, Any]) -> dict[str, Any]:
    ens = client(cfg)
    found = {
        "topics": await attempt(topic_names(ens)),
        "published": await attempt(publish_one(ens, cfg["topic"], cfg.get("text", "hello"))),
    }
    await asyncio.wait_for(ens.close(), 10)
    return found


async def hold(cfg: dict[str, Any]) -> dict[str, Any]:
    ens = client(cfg)
    received: list[bytes] = []
    revoked_at: list[int] = []
    failure: dict[str, Any] = {}

    async def read() -> None:
        try:
            async for event in ens.subscribe(cfg["topic"]):
                received.append(event.data)
                if len(received) == 1:
                    print("live", flush=True)
        except Exception as exc:
            failure.update({"class": type(exc).__name__, "message": str(exc)})

    reader = asyncio.create_task(read())
    await asyncio.to_thread(sys.stdin.readline)  # the key is revoked now
    revoked_at.append(len(received))
    await asyncio.sleep(cfg.get("settle_s", 3.0))
    return {
        "before": revoked_at[0],
        "after": len(received) - revoked_at[0],
        "stream_error": failure or None,
        "reader_done": reader.done(),
        "topics_after": await attempt(topic_names(ens)),
        "publish_after": await attempt(publish_one(ens, cfg["topic"], "after revoking")),
    }


async def play(mode: str, cfg: dict[str, Any]) -> None:
    found = await {"use": use, "hold": hold}[mode](cfg)
    sys.stdout.write(json.dumps(found, default=repr) + "\n")
    sys.stdout.flush()
    os._exit(0)  # at once: pyensign keeps retrying a refused stream in background tasks


def main() -> None:
    asyncio.run(play(sys.argv[1], json.loads(sys.argv[2])))


if __name__ == "__main__":
    main()
