"""Patient search over 100,000 patients (target p95 ≤ 100 ms) and the chart page of a patient with 1,000
visits under 50 concurrent users (target p95 ≤ 200 ms), on SQLite and PostgreSQL.

The chart is the real page (`GET /patients/{id}`, HTML, as a signed-in browser asks for it) of a patient
whose 1,000 signed visits each have their signed revision and findings behind them, fetched over HTTP from
`sotchart serve --workers 2` by 50 users at once, each asking again as soon as the page came (no pause:
the harshest load 50 users can make). Latency is what the client waited, from sending to the last byte."""

from __future__ import annotations

import asyncio
import json
import random
import string
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx2 as httpx
from sqlalchemy import insert, select, update

from bench.common import header, summary_ms, table
from sotchart.domain.patients import search_key
from sotchart.domain.roles import Role
from sotchart.services import clinics, patients, users
from sotchart.services.context import Actor, App
from sotchart.settings import Settings
from sotchart.store import migrate
from sotchart.store.tables import patient, visit, visit_finding, visit_revision

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.postgres import PostgresServer
from tests.support.server import ServerProcess

PASSWORD = "bench password 123"
N_PATIENTS = 100_000
N_VISITS = 1_000
SYLLABLES = [
    "an",
    "ber",
    "cas",
    "dor",
    "el",
    "fin",
    "gar",
    "hol",
    "is",
    "jan",
    "kor",
    "lin",
    "mar",
    "nor",
    "ol",
    "per",
    "quin",
    "ros",
    "sal",
    "tor",
    "ul",
    "van",
    "wes",
    "yor",
    "zim",
]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def load(app: App) -> tuple[int, int]:
    rng = random.Random(11)
    clinic = clinics.create_clinic(app, Actor.console(), "Bench clinic")
    users.add_user(
        app,
        Actor.console(clinic.id),
        email="dc@bench.test",
        display_name="Dr Bench",
        role="clinician",
        password=PASSWORD,
        clinic_id=clinic.id,
    )
    now = datetime.now(UTC)
    with app.db.transaction() as conn:
        batch = []
        for i in range(N_PATIENTS):
            fam, giv = _name(rng), _name(rng)
            batch.append(
                {
                    "clinic_id": clinic.id,
                    "chart_number": f"P{i + 1:06d}",
                    "family_name": fam,
                    "given_name": giv,
                    "family_key": search_key(fam),
                    "given_key": search_key(giv),
                    "birth_date": date(1940, 1, 1) + timedelta(days=rng.randint(0, 30000)),
                    "sex": "unknown",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 5000 or i == N_PATIENTS - 1:
                conn.execute(insert(patient), batch)
                batch = []
        long_id = 1
        conn.execute(
            insert(visit),
            [
                {
                    "clinic_id": clinic.id,
                    "patient_id": long_id,
                    "visit_date": date(2019, 1, 1) + timedelta(days=2 * k),
                    "kind": "follow-up",
                    "status": "signed",
                    "complaint": "Low back pain",
                    "revision": 0,
                    "category": rng.choice([1, 2, 3]),
                    "category_side": rng.choice(["left", "right"]),
                    "pain": rng.randint(0, 9),
                    "indicators_pre": rng.randint(0, 5),
                    "indicators_post": rng.randint(0, 3),
                    "safety_action": "clear",
                    "created_at": now,
                    "updated_at": now,
                }
                for k in range(N_VISITS)
            ],
        )
    return clinic.id, long_id


def search_bench(app: App, clinic_id: int, rounds: int = 400) -> dict[str, object]:
    rng = random.Random(3)
    actor = Actor(None, clinic_id, Role.CLINICIAN, "bench", "127.0.0.1")
    samples = []
    for _ in range(rounds):
        kind = rng.random()
        if kind < 0.6:
            q = patients.SearchQuery.parse("".join(rng.choice(SYLLABLES)[:2] + rng.choice(string.ascii_lowercase)))
        elif kind < 0.8:
            q = patients.SearchQuery.parse(f"{rng.choice(SYLLABLES)}, {rng.choice(SYLLABLES)[:1]}")
        else:
            q = patients.SearchQuery.parse("", (date(1940, 1, 1) + timedelta(days=rng.randint(0, 30000))).isoformat())
        t0 = time.perf_counter()
        patients.search_patients(app, actor, q)
        samples.append(time.perf_counter() - t0)
    return {"measure": f"patient search over {N_PATIENTS:,} patients (in process, audited)", **summary_ms(samples)}


def revisions_behind(app: App, clinic_id: int, patient_id: int) -> None:
    """Each of the long patient's visits gets the signed revision and the findings a signature writes."""
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from bench.load import record

    doc = record(app.settings)
    now = datetime.now(UTC)
    with app.db.transaction() as conn:
        ids = [r.id for r in conn.execute(select(visit.c.id).where(visit.c.patient_id == patient_id))]
        conn.execute(
            insert(visit_revision),
            [
                {
                    "visit_id": v,
                    "revision": 1,
                    "document": json.dumps(doc),
                    "assessment": "{}",
                    "kind": "signed",
                    "created_at": now,
                }
                for v in ids
            ],
        )
        conn.execute(update(visit).where(visit.c.patient_id == patient_id).values(revision=1))
        conn.execute(
            insert(visit_finding),
            [
                {
                    "clinic_id": clinic_id,
                    "patient_id": patient_id,
                    "visit_id": v,
                    "revision": 1,
                    "phase": f["phase"],
                    "code": f["code"],
                    "value": f["value"],
                    "side": f.get("side"),
                    "grade": f.get("grade"),
                    "created_at": now,
                }
                for v in ids
                for f in doc["findings"]
            ],
        )


def _session(base: str) -> str:
    """A signed-in browser's session cookie, from the sign-in form."""
    with httpx.Client(base_url=base, timeout=30) as h:
        form = h.get("/sign-in").text
        pre = form.split('name="pre_token" value="')[1].split('"')[0]
        r = h.post("/sign-in", data={"email": "dc@bench.test", "password": PASSWORD, "pre_token": pre, "next": "/"})
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return str(h.cookies["sotchart_session"])


async def _users(base: str, page: str, cookies: list[str], per_user: int) -> tuple[list[float], Counter[str], float]:
    """Each user asks for the page again as soon as it came; the pages' latencies (the chart, not a
    503), and every answer's status ('200' only for the whole chart page)."""
    timings: list[float] = []
    statuses: Counter[str] = Counter()

    async def user(cookie: str) -> None:
        async with aiohttp.ClientSession(cookies={"sotchart_session": cookie}) as h:
            for _ in range(per_user):
                t0 = time.perf_counter()
                async with h.get(base + page, allow_redirects=False) as r:
                    body = await r.read()
                whole = r.status == 200 and b'id="visits-h"' in body
                statuses["200" if whole else str(r.status)] += 1
                if whole:
                    timings.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(user(c) for c in cookies))
    return timings, statuses, time.perf_counter() - t0


def chart_bench(app: App, patient_id: int, users_n: int = 50, per_user: int = 20) -> dict[str, object]:
    server = ServerProcess(app, workers=2)
    try:
        cookies = [_session(server.url) for _ in range(users_n)]
        asyncio.run(_users(server.url, f"/patients/{patient_id}", cookies[:2], 5))  # warm both workers
        timings, statuses, wall = asyncio.run(_users(server.url, f"/patients/{patient_id}", cookies, per_user))
    finally:
        server.stop()
    return {
        "measure": f"chart page /patients/{{id}} (1,000 visits), {users_n} users at once, over HTTP",
        **summary_ms(timings),
        "503": statuses.pop("503", 0),
        "errors": sum(n for k, n in statuses.items() if k != "200"),
        "pages/s": round(statuses["200"] / wall, 1),
    }


def run_one(url: str, data_dir: Path) -> tuple[list[dict[str, object]], dict[str, object]]:
    settings = Settings(environment="test", data_dir=data_dir, database_url=url, secret_key="bench-" + "k" * 40)
    app = App.from_settings(settings)
    try:
        migrate.upgrade(app.db)
        clinic_id, long_id = load(app)
        revisions_behind(app, clinic_id, long_id)
        rows = [search_bench(app, clinic_id), chart_bench(app, long_id)]
        return rows, app.db.describe()
    finally:
        app.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        rows, db = run_one(f"sqlite:///{d}/bench.db", Path(d))
        header("Chart page and patient search (targets: chart p95 ≤ 200 ms at 50 users; search p95 ≤ 100 ms)", db)
        table(rows)
    pg = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as d:
            rows, db = run_one(pg.create_database("bench"), Path(d))
            header("Chart page and patient search on PostgreSQL", db)
            table(rows)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
