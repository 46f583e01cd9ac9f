"""Admission control, driven as a crowd of clients drives it: a worker handles a bounded number of requests
at once, lets a bounded number wait a stated while, and answers the rest at once with 503, Retry-After and
a problem+json body (or a page, for a browser), having changed nothing. Before, nothing limited admission:
past saturation every request waited until it timed out."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from typing import Any

import httpx2 as httpx

from sotchart.web.admission import Admission


class Held:
    """An app whose requests wait until released, and count what they were asked to do."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.handled: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] != "/healthz":
            await self.release.wait()
        self.handled.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """On an event loop of its own thread: the browser tests' Playwright keeps one running in this one."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as e:  # handed back to the test's own thread
            failure.append(e)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    if failure:
        raise failure[0]


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sotchart.test")


def test_past_its_queue_a_worker_answers_503_at_once_and_changes_nothing() -> None:
    async def run() -> None:
        held = Held()
        app = Admission(held, active=2, queued=2, wait_seconds=5)
        async with _client(app) as c:
            busy = [asyncio.create_task(c.get(f"/api/v1/patients/{n}")) for n in range(4)]  # 2 at work, 2 waiting
            await asyncio.sleep(0.1)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            refused = await c.put("/api/v1/visits/1/record", json={"pain": 3})
            took = loop.time() - t0
            assert refused.status_code == 503 and took < 0.1, (refused.status_code, took)
            assert refused.headers["retry-after"] == "5"
            assert refused.headers["content-type"] == "application/problem+json"
            body = json.loads(refused.text)
            assert body["status"] == 503 and "nothing was" in body["detail"] and body["retry_after"] == 5
            # The health check is never queued behind the crowd.
            assert (await c.get("/healthz")).status_code == 200
            page = await c.get("/patients", headers={"Accept": "text/html"})
            assert page.status_code == 503 and "Busy" in page.text and "Nothing you typed was lost" in page.text
            held.release.set()
            assert [r.status_code for r in await asyncio.gather(*busy)] == [200] * 4
        assert "/api/v1/visits/1/record" not in held.handled and "/patients" not in held.handled

    _run(run())


def test_a_request_waits_its_stated_while_then_is_refused() -> None:
    async def run() -> None:
        held = Held()
        app = Admission(held, active=1, queued=4, wait_seconds=0.3)
        async with _client(app) as c:
            first = asyncio.create_task(c.get("/api/v1/patients/1"))
            await asyncio.sleep(0.05)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            waited = await c.get("/api/v1/patients/2")
            assert waited.status_code == 503 and 0.25 < loop.time() - t0 < 1.0
            # Released in time, a waiting request goes through in its turn.
            second = asyncio.create_task(c.get("/api/v1/patients/3"))
            await asyncio.sleep(0.05)
            held.release.set()
            assert (await first).status_code == 200 and (await second).status_code == 200

    _run(run())


def test_when_the_queue_is_half_full_new_visits_are_refused_before_work_in_hand() -> None:
    """Refusing a new visit costs a client nothing; refusing the sign of a visit already charted loses it."""

    async def run() -> None:
        held = Held()
        app = Admission(held, active=1, queued=4, wait_seconds=5)
        async with _client(app) as c:
            at_work = asyncio.create_task(c.get("/api/v1/patients/1"))
            await asyncio.sleep(0.05)
            waiting = [asyncio.create_task(c.post(f"/api/v1/visits/{n}/record/sign")) for n in range(2)]
            await asyncio.sleep(0.05)
            new_visit = await c.post("/api/v1/patients/1/visits", json={})
            assert new_visit.status_code == 503
            signing = asyncio.create_task(c.post("/api/v1/visits/9/record/sign"))  # still room for work in hand
            await asyncio.sleep(0.05)
            held.release.set()
            codes = [r.status_code for r in await asyncio.gather(at_work, *waiting, signing)]
            assert codes == [200] * 4

    _run(run())


def test_new_visits_take_at_most_half_the_slots_so_work_in_hand_finds_one() -> None:
    async def run() -> None:
        held = Held()
        app = Admission(held, active=2, queued=4, wait_seconds=0.3)
        async with _client(app) as c:
            first = asyncio.create_task(c.post("/api/v1/patients/1/visits", json={}))
            await asyncio.sleep(0.05)
            second = await c.post("/api/v1/patients/2/visits", json={})  # waits for a start's slot, then refused
            assert second.status_code == 503
            signing = asyncio.create_task(c.post("/api/v1/visits/1/record/sign"))  # the other slot is free
            await asyncio.sleep(0.05)
            assert app.active == 2
            held.release.set()
            assert (await first).status_code == 200 and (await signing).status_code == 200

    _run(run())
