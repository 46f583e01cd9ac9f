"""Admission control: a worker takes on only as many requests as it can finish promptly, and answers the
rest at once with 503, Retry-After and a problem+json body, instead of letting every request wait until
clients time out (past saturation an unbounded queue serves no one: each request waits behind all the
others). A request may wait a short, stated while for its turn; past that, or when the queue is full, it
is refused before it has changed anything, so the client may simply send it again.

Requests that continue work already begun (saving or signing a visit, a page's own fragments) are not
worth more than new ones to the server, but a refused start costs a client nothing while a refused sign
loses a visit's work: new visits and registrations take at most half the active slots, and when the
queue is more than half full they are refused first."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

Scope = dict[str, Any]

# Never queued or refused: the proxy's health check, and files that cost nothing to send.
EXEMPT = ("/healthz", "/static/", "/favicon.ico")


def _starts_work(scope: Scope) -> bool:
    """A request that begins something new (registers, starts a visit) rather than finishing it."""
    path: str = scope.get("path", "")
    return scope.get("method") == "POST" and path.endswith(("/visits", "/patients", "/patients/new"))


class Admission:
    def __init__(self, app: Any, *, active: int, queued: int, wait_seconds: float) -> None:
        self.app = app
        self.active_max = active
        self.queued_max = queued
        self.wait = wait_seconds
        self.active = 0
        self.starting = 0  # of the active, how many begin new work
        self.waiting = 0
        self._turn: asyncio.Condition | None = None  # made on the worker's own event loop

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        if self._turn is None:
            self._turn = asyncio.Condition()
        starts = _starts_work(scope)
        if not await self._enter(starts):
            await _busy(scope, send, self.wait)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            async with self._turn:
                self.active -= 1
                self.starting -= starts
                self._turn.notify_all()

    def _room(self, starts: bool) -> bool:
        """A slot is free; new work takes at most half of them, so work in hand always finds one."""
        if self.active >= self.active_max:
            return False
        return not starts or self.starting < max(1, self.active_max // 2)

    async def _enter(self, starts: bool) -> bool:
        assert self._turn is not None
        async with self._turn:
            if self._room(starts) and not self.waiting:
                self._take(starts)
                return True
            if self.waiting >= (self.queued_max // 2 if starts else self.queued_max):
                return False
            self.waiting += 1
            deadline = time.monotonic() + self.wait
            try:
                while not self._room(starts):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    try:
                        await asyncio.wait_for(self._turn.wait(), left)
                    except TimeoutError:
                        return False
                self._take(starts)
                return True
            finally:
                self.waiting -= 1

    def _take(self, starts: bool) -> None:
        self.active += 1
        self.starting += starts


async def _busy(scope: Scope, send: Any, wait: float) -> None:
    retry = max(1, math.ceil(wait))
    detail = (
        f"sotchart is answering as many requests as it can just now; this one was not started and nothing was "
        f"changed. Send it again in {retry} s."
    )
    accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
    if "text/html" in accept:
        body = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Busy · sotchart</title>"
            f"<main style='font-family:sans-serif;max-width:40rem;margin:4rem auto'><h1>Busy for a moment</h1>"
            f"<p>{detail} Nothing you typed was lost: go back and send it again.</p></main>"
        ).encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = json.dumps(
            {"type": "about:blank", "title": "Busy", "status": 503, "detail": detail, "retry_after": retry}
        ).encode()
        kind = b"application/problem+json"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
