"""A local Bot API stand-in: an aiohttp server on 127.0.0.1 that records every sendMessage.

Point the bot at it with `TELEGRAM_API_URL` (or `Settings(telegram_api_url=api.url)`): the real
`AiohttpSession` talks HTTP to it, so Telegram's faults arrive as real HTTP answers and aiogram
maps them to its exceptions exactly as in production. It can be told to answer 429 with
`retry_after`, 5xx, 403 for chats that blocked the bot, or to hang past the client's timeout.
Used by the fault, crash and multi-instance tests and by benchmarks/crash.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

OK = "ok"
RATE_LIMITED = "429"
SERVER_ERROR = "502"
HANG = "hang"
LOST_ANSWER = "lost-answer"


@dataclass(frozen=True)
class Delivered:
    """A message the stand-in accepted: what reached the user."""

    chat_id: int
    text: str
    message_id: int
    at: float


@dataclass
class FakeBotAPI:
    """The server, what it received, and how it answers next.

    `fault` applies to every sendMessage while set: `RATE_LIMITED` (429, `retry_after`
    seconds), `SERVER_ERROR` (502), `HANG` (no answer for `hang_seconds`; nothing is delivered,
    as when Telegram is down), `LOST_ANSWER` (the message is delivered, but the answer never
    comes back: the client times out). Chats in `blocked` always get 403.
    """

    fault: str = OK
    retry_after: int = 3
    hang_seconds: float = 30.0
    blocked: set[int] = field(default_factory=set)
    sent: list[Delivered] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    url: str = ""
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; returns the base URL for TELEGRAM_API_URL."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        # A socket bound here, so the free port is known before the site starts.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        await web.SockSite(self._runner, listener).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Close the server (hanging requests are cut off)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def per_chat(self) -> Counter[int]:
        """How many messages each chat received."""
        return Counter(item.chat_id for item in self.sent)

    def duplicates(self) -> dict[tuple[int, str], int]:
        """(chat, text) pairs that arrived more than once, with their counts."""
        counts = Counter((item.chat_id, item.text) for item in self.sent)
        return {key: count for key, count in counts.items() if count > 1}

    async def wait_for(self, count: int, timeout: float = 20.0) -> None:
        """Poll until at least `count` messages arrived; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                msg = f"{len(self.sent)} of {count} messages arrived within {timeout} s"
                raise TimeoutError(msg)
            await asyncio.sleep(0.01)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        form = await request.post()
        if method != "sendmessage":
            return _answer(True)
        chat_id = int(str(form["chat_id"]))
        if chat_id in self.blocked:
            self.refused["403"] += 1
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.fault == RATE_LIMITED:
            self.refused[RATE_LIMITED] += 1
            return _error(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                parameters={"retry_after": self.retry_after},
            )
        if self.fault == SERVER_ERROR:
            self.refused[SERVER_ERROR] += 1
            return _error(502, "Bad Gateway")
        if self.fault == HANG:
            self.refused[HANG] += 1
            await asyncio.sleep(self.hang_seconds)
            return _error(504, "Gateway Timeout")
        text = str(form["text"])
        message_id = next(self._message_ids)
        self.sent.append(Delivered(chat_id, text, message_id, time.monotonic()))
        if self.fault == LOST_ANSWER:
            self.refused[LOST_ANSWER] += 1
            await asyncio.sleep(self.hang_seconds)
        return _answer(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": text,
            }
        )


def _answer(result: Any) -> web.Response:
    body = json.dumps({"ok": True, "result": result})
    return web.Response(text=body, content_type="application/json")


def _error(status: int, description: str, **extra: Any) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description, **extra}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")
