"""A minimal client for Reflex's event socket (Engine.IO 4 + Socket.IO 5 over a websocket).

It does what a hostile browser could do: open the socket with any cookie, send any event
name with any payload, and read every frame the server sends back.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets

from tests.support.aio import run_sync

NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"
HYDRATE = f"{ROOT_STATE}.hydrate_and_load"


@dataclass
class Update:
    delta: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


class ReflexSocket:
    def __init__(self, base_url: str, *, cookie: str = "", origin: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.cookie = cookie
        self.origin = origin if origin is not None else self.base_url
        self.token = str(uuid.uuid4())
        self.raw_frames: list[str] = []
        self.updates: list[Update] = []
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._arrived = asyncio.Event()

    async def connect(self, path: str = "/", query: dict | None = None) -> None:
        ws_url = self.base_url.replace("http", "ws", 1)
        headers = {"Origin": self.origin}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self._ws = await websockets.connect(
            f"{ws_url}/_event/?EIO=4&transport=websocket&token={self.token}",
            additional_headers=headers,
            max_size=None,
        )
        opening = await asyncio.wait_for(self._ws.recv(), 10)
        if not opening.startswith("0"):
            raise RuntimeError(f"unexpected engine.io opening: {opening!r}")
        auth = {"event": self._event(HYDRATE, {}, path, query)}
        await self._ws.send(f"40{NAMESPACE},{json.dumps(auth)}")
        self._reader = asyncio.create_task(self._read())
        await self.settle()

    def _event(self, name: str, payload: dict, path: str, query: dict | None = None) -> dict:
        """An event as the browser sends it. `query` carries the page's route parameters
        (the browser sends them beside the path, so a forger can send any)."""
        route = path.split("?")[0]
        router_data = {"pathname": route, "asPath": path}
        if query:
            router_data["query"] = {k: str(v) for k, v in query.items()}
        return {"name": name, "payload": payload, "router_data": router_data}

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                self.raw_frames.append(frame)
                if frame == "2":
                    await self._ws.send("3")
                    continue
                prefix = f"42{NAMESPACE},"
                if frame.startswith(prefix):
                    name, body = json.loads(frame[len(prefix) :])[:2]
                    if name == "event":
                        self.updates.append(
                            Update(delta=body.get("delta") or {}, events=body.get("events") or [])
                        )
                self._arrived.set()
        except websockets.ConnectionClosed:
            return

    async def send(
        self, name: str, payload: dict | None = None, *, path: str = "/", query: dict | None = None
    ) -> None:
        message = ["event", self._event(name, payload or {}, path, query)]
        await self._ws.send(f"42{NAMESPACE},{json.dumps(message)}")

    async def settle(self, quiet: float = 0.4, timeout: float = 10.0) -> None:
        """Wait until the server has sent nothing for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), quiet)
            except TimeoutError:
                return

    async def call(
        self, name: str, payload: dict | None = None, *, path: str = "/", query: dict | None = None
    ) -> list[Update]:
        """Send one event and return every update that arrived in answer to it: wait for the
        first answer, then until the server falls quiet."""
        start = len(self.updates)
        self._arrived.clear()
        await self.send(name, payload, path=path, query=query)
        try:
            await asyncio.wait_for(self._arrived.wait(), 5)
        except TimeoutError:
            return self.updates[start:]
        await self.settle(quiet=0.15)
        return self.updates[start:]

    def frames_since(self, start: int) -> str:
        """Every raw frame received after `start`, joined: what an attacker gets to read."""
        return "\n".join(self.raw_frames[start:])

    def merged_delta(self) -> dict[str, dict[str, Any]]:
        """The state as the browser would hold it after every update so far."""
        merged: dict[str, dict[str, Any]] = {}
        for update in self.updates:
            for state, values in update.delta.items():
                merged.setdefault(state, {}).update(values)
        return merged

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


def run_async(coro_fn, /, *args, **kwargs):
    return run_sync(coro_fn(*args, **kwargs))
