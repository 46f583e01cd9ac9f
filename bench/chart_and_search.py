"""Patient search over 100,000 patients (target p95 ≤ 100 ms) and the chart page of a patient with 1,000
visits under 50 concurrent users (target server time p95 ≤ 200 ms), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import string
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import insert

from bench.common import header, summary_ms, table
from sotchart.domain.patients import search_key
from sotchart.domain.roles import Role
from sotchart.services import clinics, patients, users
from sotchart.services.context import Actor, App
from sotchart.settings import Settings
from sotchart.store import migrate
from sotchart.store.tables import patient, visit

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.postgres import PostgresServer
from tests.support.server import ServerProcess

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


def load(app: App) -> tuple[int, int, str]:
    rng = random.Random(11)
    clinic = clinics.create_clinic(app, Actor.console(), "Bench clinic")
    users.add_user(
        app,
        Actor.console(clinic.id),
        email="dc@bench.test",
        display_name="Dr Bench",
        role="clinician",
        password="bench password 123",
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
            if len(batch) == 5000:
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
    token = users.issue_token(app, Actor.console(clinic.id), "dc@bench.test", "bench")
    return clinic.id, long_id, token


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


def chart_bench(app: App, patient_id: int, token: str, users_n: int = 50, per_user: int = 20) -> dict[str, object]:
    server = ServerProcess(app, workers=2)
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()

    def user() -> None:
        nonlocal errors
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as h:
            for _ in range(per_user):
                r = h.get(f"/api/v1/patients/{patient_id}/visits")
                dur = float(r.headers.get("server-timing", "app;dur=nan").split("dur=")[1])
                with lock:
                    timings.append(dur / 1000)
                    errors += r.status_code != 200

    try:
        threads = [threading.Thread(target=user) for _ in range(users_n)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        server.stop()
    s = summary_ms(timings)
    return {
        "measure": f"chart page (1,000-visit patient), {users_n} concurrent users, server time",
        **s,
        "errors": errors,
        "req/s": round(len(timings) / wall, 1),
    }


def run_one(url: str, data_dir: Path) -> tuple[list[dict[str, object]], dict[str, object]]:
    settings = Settings(environment="test", data_dir=data_dir, database_url=url, secret_key="bench-" + "k" * 40)
    app = App.from_settings(settings)
    try:
        migrate.upgrade(app.db)
        clinic_id, long_id, token = load(app)
        rows = [search_bench(app, clinic_id), chart_bench(app, long_id, token)]
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
