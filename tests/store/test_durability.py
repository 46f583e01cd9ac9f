"""Acknowledged writes survive `kill -9` of the server in the middle of a stream of writes."""

from __future__ import annotations

import threading
import time

import httpx2 as httpx
import pytest
from sqlalchemy import text

from sotchart.services import users
from sotchart.services.context import Actor, App
from tests import factories
from tests.support.server import ServerProcess


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_write(fresh_app: App) -> None:
    c = factories.clinic_with_staff(fresh_app)
    token = users.issue_token(fresh_app, Actor.console(c.id), c.emails["assistant"], "crash")
    server = ServerProcess(fresh_app, workers=2)
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as h:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = h.post(
                        "/api/v1/patients",
                        json={"family_name": f"Crash{n}x{i}", "given_name": "K", "birth_date": "1980-01-01"},
                    )
                except httpx.HTTPError:
                    return  # the server died mid-request: that write was never acknowledged
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill9()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        server.stop()
    assert len(acknowledged) >= 150
    fresh_app.db.engine.dispose()
    with fresh_app.db.transaction() as conn:
        stored = {r[0] for r in conn.execute(text("SELECT id FROM patient"))}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged writes lost"
