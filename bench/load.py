"""Recording visits over HTTP under an open-loop load, against `sotchart serve --workers 2` on SQLite and
PostgreSQL: what a group of clinics waits for when its clinicians sign notes at the same moment.

A visit is three requests, as a script or the screen makes them: start it, save its record (about twenty
findings, vitals, the care and the note), sign it. Visits arrive at fixed times (open loop: the generator
never waits for the server before sending the next one), and each request's latency is measured from the
moment it was due, so a server that falls behind is charged for the queue it builds. The offered rate
steps up until the server no longer keeps up (the saturation rate), then runs at twice and five times it,
where a server with admission control answers the excess at once with 503 and Retry-After instead of
letting every request time out.

Targets (issue 12): 100 visits/s with p99 ≤ 50 ms and 0 errors; saturation ≥ 300 visits/s; at 2× and 5×
saturation, goodput ≥ 90 % of the peak, the excess answered 503 within 100 ms, 0 timeouts, 0 500s.

`python -m bench load [sqlite|postgresql] [--seconds N]`"""

from __future__ import annotations

import asyncio
import ssl as ssl_
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import header, percentile, table
from sotchart.domain.roles import Role
from sotchart.services import clinics, patients, protocol, users, visits
from sotchart.services.context import Actor, App
from sotchart.settings import Settings
from sotchart.store import migrate

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests import factories
from tests.support.postgres import PostgresServer
from tests.support.server import ServerProcess

CLINICS = 4  # writers of different clinics, which must not queue on each other
PATIENTS_PER_CLINIC = 100  # one visit a day each: 400 visits per day of the calendar
TIMEOUT_S = 10.0  # the generator gives up on a request after this: counted as a timeout
WARMUP_RATE = 10
START = datetime.now(UTC).date() - timedelta(days=2)  # yesterday in any clinic's zone, and back from there


def record(settings: Settings) -> dict[str, Any]:
    """A signable record with about twenty findings: each indicator that needs no extra detail, examined
    before and after, with the tests' full record's vitals, category, care and note."""
    pack = protocol.active(settings)
    simple = [
        code
        for code, ind in pack.indicators.items()
        if not any(getattr(ind, a, None) for a in ("location", "line", "area", "point", "level", "region"))
    ][:10]
    findings = [
        {"code": code, "phase": phase, "value": pack.indicators[code].normal}
        for code in simple
        for phase in ("pre", "post")
    ]
    # One positive indicator before care, cleared after: a category visit as the notes record them.
    at = findings.index({"code": "heel-tension", "phase": "pre", "value": "negative"})
    findings[at] = {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right", "grade": 3}
    return factories.full_record(
        pain=5,
        findings=findings,
        carry_forward={"dismissed": sorted(set(pack.indicators) - set(simple))},
    )


@dataclass
class Clinic:
    token: str
    patients: list[int]
    clinic_id: int = 0


def load_clinics(app: App, patients_per_clinic: int = PATIENTS_PER_CLINIC) -> list[Clinic]:
    out = []
    for n in range(CLINICS):
        clinic = clinics.create_clinic(app, Actor.console(), f"Load clinic {n + 1}")
        email = f"dc{n + 1}@load.test"
        users.add_user(
            app,
            Actor.console(clinic.id),
            email=email,
            display_name=f"Dr Load {n + 1}",
            role="clinician",
            password="load bench password 1234",
            clinic_id=clinic.id,
        )
        actor = Actor(None, clinic.id, Role.CLINICIAN, email, "127.0.0.1")
        ids = []
        for k in range(patients_per_clinic):
            p = patients.register_patient(
                app,
                actor,
                {"family_name": f"Loadpatient{k}", "given_name": f"C{n}", "birth_date": "1980-05-17"},
            )
            visits.start_episode(app, actor, p.id, "Low back pain")
            ids.append(p.id)
        out.append(Clinic(users.issue_token(app, Actor.console(clinic.id), email, "load", days=1), ids, clinic.id))
    return out


@dataclass
class Step:
    offered: float
    seconds: float
    visits_done: int = 0
    latencies: list[float] = field(default_factory=list)  # per request, from when it was due, seconds
    rejected_latencies: list[float] = field(default_factory=list)  # 503s: how fast the excess was answered
    statuses: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # the first unexpected answers, to say what went wrong
    wall: float = 0.0  # from the first arrival until the last visit finished or gave up
    generator_cpu: float = 0.0  # CPU seconds the generator itself used: it shares the machine's 2 cores
    signed: list[int] = field(default_factory=list)  # the visits whose signature was acknowledged

    @property
    def goodput(self) -> float:
        """Visits recorded whole (started, saved, signed) per second of the step, its queue drained."""
        return self.visits_done / max(self.wall, self.seconds)

    def row(self) -> dict[str, object]:
        ok = self.latencies
        return {
            "offered visits/s": round(self.offered, 1),
            "done visits/s": round(self.goodput, 1),
            "req p50 ms": round(percentile(ok, 50) * 1000, 1) if ok else "-",
            "req p99 ms": round(percentile(ok, 99) * 1000, 1) if ok else "-",
            "503": self.statuses.get("503", 0),
            "503 p99 ms": round(percentile(self.rejected_latencies, 99) * 1000, 1) if self.rejected_latencies else "-",
            "500": self.statuses.get("500", 0),
            "timeouts": self.statuses.get("timeout", 0),
            "other": sum(v for k, v in self.statuses.items() if k not in ("200", "201", "503", "500", "timeout")),
            "generator cores": round(self.generator_cpu / max(self.wall, self.seconds), 2),
        }


async def _request(
    session: aiohttp.ClientSession, step: Step, due: float, method: str, url: str, **kw: Any
) -> tuple[int, dict[str, str], Any] | None:
    try:
        async with session.request(method, url, timeout=aiohttp.ClientTimeout(total=TIMEOUT_S), **kw) as r:
            body = await r.json(content_type=None) if r.status in (200, 201) else await r.read()
            took = time.perf_counter() - due
            step.statuses[str(r.status)] += 1
            if r.status in (200, 201):
                step.latencies.append(took)
            elif r.status == 503:
                step.rejected_latencies.append(took)
            elif r.status != 412 and len(step.samples) < 3:
                step.samples.append(f"{method} {url.split('/api/')[-1]}: {r.status} {body[:300]!r}")
            return r.status, dict(r.headers), body
    except (TimeoutError, aiohttp.ClientError):
        step.statuses["timeout"] += 1
        return None


async def _visit(
    session: aiohttp.ClientSession, base: str, clinic: Clinic, patient: int, day: str, doc: dict, step: Step, due: float
) -> None:
    auth = {"Authorization": f"Bearer {clinic.token}"}
    made = await _request(
        session,
        step,
        due,
        "POST",
        f"{base}/api/v1/patients/{patient}/visits",
        json={"visit_date": day},
        headers=auth,
    )
    if made is None or made[0] != 201:
        return
    vid, etag = made[2]["id"], made[1].get("ETag", "*")
    t = time.perf_counter()
    saved = await _request(
        session, step, t, "PUT", f"{base}/api/v1/visits/{vid}/record", json=doc, headers=auth | {"If-Match": etag}
    )
    if saved is None or saved[0] != 200:
        return
    t = time.perf_counter()
    signed = await _request(
        session,
        step,
        t,
        "POST",
        f"{base}/api/v1/visits/{vid}/record/sign",
        headers=auth | {"If-Match": saved[1].get("ETag", "*")},
    )
    if signed is not None and signed[0] == 200:
        step.visits_done += 1
        step.signed.append(vid)


async def run_step(
    base: str,
    clinics_: list[Clinic],
    doc: dict,
    rate: float,
    seconds: float,
    first: int,
    ssl: ssl_.SSLContext | bool = True,
) -> Step:
    """Visits `first`, `first + 1`, …: each a patient's visit on a day of its own (one visit a day each)."""
    step = Step(rate, seconds)
    cpu = time.process_time()
    connector = aiohttp.TCPConnector(limit=0, force_close=False, ssl=ssl)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter() + 0.05
        tasks = []
        n = int(rate * seconds)
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            k = first + i
            clinic = clinics_[k % len(clinics_)]
            per_day = len(clinics_) * len(clinic.patients)
            patient = clinic.patients[(k // len(clinics_)) % len(clinic.patients)]
            day = (START - timedelta(days=k // per_day)).isoformat()
            tasks.append(asyncio.create_task(_visit(session, base, clinic, patient, day, doc, step, due)))
        await asyncio.gather(*tasks)
        step.wall = time.perf_counter() - start
    step.generator_cpu = time.process_time() - cpu
    return step


def run_backend(name: str, url: str, data_dir: Path, seconds: float) -> None:
    settings = Settings(environment="test", data_dir=data_dir, database_url=url, secret_key="bench-" + "k" * 40)
    app = App.from_settings(settings)
    migrate.upgrade(app.db)
    clinic_list = load_clinics(app)
    doc = record(settings)
    server = ServerProcess(app, workers=2)
    header(f"Recording visits under open-loop load ({name}, sotchart serve --workers 2)", app.db.describe())
    print(
        f"{CLINICS} clinics, {CLINICS * PATIENTS_PER_CLINIC} patients; a visit = start + save record "
        f"({len(doc['findings'])} findings) + sign; latency from when each request was due; timeout {TIMEOUT_S:.0f} s"
    )
    rows = []
    try:
        sent = 0

        def step(rate: float) -> Step:
            nonlocal sent
            s = asyncio.run(run_step(server.url, clinic_list, doc, rate, seconds, sent))
            sent += int(rate * seconds)
            for sample in s.samples:
                print("unexpected:", sample)
            return s

        step(WARMUP_RATE)
        peak, saturation = 0.0, None
        for rate in (25, 50, 100, 200, 300, 400, 600):
            s = step(rate)
            rows.append(s.row())
            done = s.goodput
            peak = max(peak, done)
            if done < 0.9 * rate or s.statuses.get("timeout") or s.statuses.get("503"):
                saturation = max(done, 1.0)
                break
        saturation = saturation or peak
        for factor in (2, 5):
            s = step(saturation * factor)
            row = s.row()
            row["goodput/peak"] = round(s.goodput / peak, 2) if peak else "-"
            row["offered visits/s"] = f"{row['offered visits/s']} ({factor}x)"
            rows.append(row)
        table(rows)
        print(f"saturation: {saturation:.1f} visits/s; peak goodput {peak:.1f} visits/s")
        _print_server_errors(Path(server.log.name))
        rss = _worker_rss(server)
        if rss:
            print("resident memory per worker after the run: " + ", ".join(f"{m:.0f} MB" for m in rss))
    finally:
        server.stop()
        app.close()


def _print_server_errors(log: Path) -> None:
    """A 500 is a defect: show the first traceback the server logged, so the figure comes with its cause
    (its end: the exception and the frames just above it, not the middleware stack it came through)."""
    lines = log.read_text(errors="replace").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Traceback")), None)
    if start is None:
        return
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith(("INFO", "WARNING", "ERROR"))), len(lines)
    )
    print("the server logged an error; the end of the first one:")
    print("\n".join(lines[start:end][-30:]))


def _worker_rss(server: ServerProcess) -> list[float]:
    """Resident memory of the server's worker processes (the supervisor's children), in MB."""
    out = []
    for child in Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split():
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "load"]
    seconds = 10.0
    if "--seconds" in args:
        i = args.index("--seconds")
        seconds = float(args[i + 1])
        del args[i : i + 2]
    chosen = {a for a in args if a in ("sqlite", "postgresql")} or {"sqlite", "postgresql"}
    if "sqlite" in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            run_backend("SQLite", f"sqlite:///{tmp}/load.db", Path(tmp), seconds)
    if "postgresql" in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            pg = PostgresServer().start()
            try:
                run_backend("PostgreSQL", pg.create_database("load"), Path(tmp), seconds)
            finally:
                pg.stop()


if __name__ == "__main__":
    main()
