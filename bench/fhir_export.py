"""`sotchart export` over a synthetic practice of 1,000,000 FHIR resources (target: ≥ 5,000 resources/s end
to end, memory flat), on SQLite and PostgreSQL. The command runs as its own process; its peak memory is
compared with an export a tenth the size. `BENCH_RESOURCES` sets a smaller practice for a quick look."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench import practice
from bench.common import header, table
from sotchart.services.context import App
from sotchart.settings import Settings
from sotchart.store import migrate
from sotchart.store.tables import visit, visit_revision, visit_treatment

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.cli import env_for
from tests.support.postgres import PostgresServer

N_RESOURCES = int(os.environ.get("BENCH_RESOURCES", "1000000"))
PER_VISIT = 14  # encounter, 3 vitals, 4 findings, category, 2 diagnoses, 2 procedures, the note
VISITS_PER_PATIENT = 10
DOCUMENT = json.dumps(
    {
        "vitals": {"systolic": 128, "diastolic": 82, "pulse": 70},
        "pain": 5,
        "findings": [
            {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right", "mm": 5},
            {"code": "leg-length-prone", "phase": "post", "value": "even"},
            {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right", "grade": 3},
            {"code": "heel-tension", "phase": "post", "value": "negative"},
        ],
        "confirmed_category": {"category": 1, "side": "right"},
        "treatment": {"procedures": ["blocking", "spinal-adjustment"], "spinal_regions": ["lumbar", "pelvic"]},
        "diagnoses": [],
    }
)
ASSESSMENT = json.dumps(
    {
        "safety": {"action": "clear", "findings": []},
        "coding": {"icd10": [{"code": "M99.03", "region": "lumbar"}, {"code": "M99.05", "region": "pelvic"}]},
    }
)
NOTE = (
    "S: low back ache, better than last week\nO: right short leg, heel tension right\nA: Category 1 right\nP: blocking"
)


def load(app: App, resources: int) -> int:
    clinic_id, clinicians = practice.clinic_with_clinicians(app, "Export clinic")
    visits = resources // PER_VISIT
    n_patients = max(1, visits // VISITS_PER_PATIENT)
    first = date(2022, 1, 3)
    practice.patients_with_episodes(app, clinic_id, [first + timedelta(days=i % 900) for i in range(n_patients)])
    now = datetime.now(UTC)
    for chunk in range(0, visits, 5000):
        ids = range(chunk + 1, min(chunk + 5000, visits) + 1)
        rows = []
        for vid in ids:
            p = (vid - 1) % n_patients + 1
            rows.append(
                {
                    "id": vid,
                    "clinic_id": clinic_id,
                    "patient_id": p,
                    "episode_id": p,
                    "clinician_id": clinicians[vid % 2],
                    "visit_date": first + timedelta(days=(p % 900) + 3 * ((vid - 1) // n_patients)),
                    "kind": "follow-up",
                    "status": "signed",
                    "complaint": "Low back pain",
                    "note": NOTE,
                    "signed_at": now,
                    "signed_by": clinicians[vid % 2],
                    "revision": 1,
                    "category": 1,
                    "pain": 5,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with app.db.transaction() as conn:
            conn.execute(insert(visit), rows)
            conn.execute(
                insert(visit_revision),
                [
                    {
                        "visit_id": v,
                        "revision": 1,
                        "document": DOCUMENT,
                        "assessment": ASSESSMENT,
                        "kind": "signed",
                        "created_at": now,
                    }
                    for v in ids
                ],
            )
            conn.execute(
                insert(visit_treatment),
                [
                    {"clinic_id": clinic_id, "visit_id": v, "revision": 1, "kind": k}
                    for v in ids
                    for k in ("blocking", "spinal-adjustment")
                ],
            )
    return clinic_id


def export_once(app: App, out: Path) -> dict[str, float]:
    """Run `sotchart export` as a process; its wall time, peak memory, and the resources it wrote."""
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", MEASURED, "export", str(out)], env=env_for(app), capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    if r.returncode:
        raise SystemExit(r.stderr)
    peak_kb = int(r.stderr.strip().splitlines()[-1])
    with zipfile.ZipFile(out) as z:
        count = sum(o["count"] for o in json.loads(z.read("manifest.json"))["output"])
    return {"resources": count, "seconds": wall, "peak_mb": peak_kb / 1024}


# The command (export or import) as a user runs it, reporting its own peak resident memory (kB) as the
# last line of stderr.
MEASURED = """
import resource, sys
from sotchart.cli import main
sys.argv = ["sotchart", sys.argv[1], sys.argv[2]]
try:
    main()
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def import_once(url: str, data_dir: Path, export: Path) -> dict[str, float]:
    """`sotchart import` of an export into a new clinic of an empty database, as its own process."""
    app = App.from_settings(Settings(environment="test", data_dir=data_dir, database_url=url, secret_key="k" * 40))
    try:
        migrate.upgrade(app.db)
        practice.clinic_with_clinicians(app, "Import clinic", clinicians=0)
        t0 = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-c", MEASURED, "import", str(export)], env=env_for(app), capture_output=True, text=True
        )
        wall = time.perf_counter() - t0
        if r.returncode:
            raise SystemExit(r.stdout + r.stderr)
    finally:
        app.close()
    with zipfile.ZipFile(export) as z:
        count = sum(o["count"] for o in json.loads(z.read("manifest.json"))["output"])
    return {"resources": count, "seconds": wall, "peak_mb": int(r.stderr.strip().splitlines()[-1]) / 1024}


def one(url_for: Callable[[str, str], str], label: str) -> None:
    exports, imports = [], []
    for size in (N_RESOURCES // 10, N_RESOURCES):
        with tempfile.TemporaryDirectory() as d:
            app = App.from_settings(
                Settings(environment="test", data_dir=Path(d), database_url=url_for(d, f"e{size}"), secret_key="k" * 40)
            )
            try:
                migrate.upgrade(app.db)
                t0 = time.perf_counter()
                load(app, size)
                load_s = time.perf_counter() - t0
                m = export_once(app, Path(d) / "export.zip")
            finally:
                app.close()
            exports.append(
                {
                    "practice": f"{size:,} resources",
                    "exported": f"{m['resources']:,.0f}",
                    "seconds": round(m["seconds"], 1),
                    "resources/s": f"{m['resources'] / m['seconds']:,.0f}",
                    "peak RSS MB": round(m["peak_mb"]),
                    "load s": round(load_s),
                }
            )
            # Importing a million resources at the target rate takes over half an hour: the smaller export
            # is imported unless BENCH_IMPORT_ALL=1.
            if size == N_RESOURCES // 10 or os.environ.get("BENCH_IMPORT_ALL"):
                i = import_once(url_for(d, f"i{size}"), Path(d), Path(d) / "export.zip")
                imports.append(
                    {
                        "export imported": f"{i['resources']:,.0f} resources",
                        "seconds": round(i["seconds"], 1),
                        "resources/s": f"{i['resources'] / i['seconds']:,.0f}",
                        "peak RSS MB": round(i["peak_mb"]),
                    }
                )
    header(f"FHIR export on {label} (target: ≥ 5,000 resources/s end to end, memory flat)", None)
    table(exports)
    header(f"FHIR import on {label} (target: ≥ 500 resources/s), into a new clinic of an empty database", None)
    table(imports)


def main() -> None:
    one(lambda d, name: f"sqlite:///{d}/{name}.db", "SQLite")
    pg = PostgresServer().start()
    try:
        one(lambda _d, name: pg.create_database(name), "PostgreSQL")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
