"""Recording a visit beside GNU Health: sotchart's visits per second and median latency against GNU Health
5.0's patient evaluations, both in process (no HTTP), on one PostgreSQL server in the same run, with the
same number of threads.

sotchart's visit is what the JSON API does for one: start the visit (`visits.create_visit`), save its record
(`charting.save_record`: about twenty findings, vitals, the care and the note) and sign it (`charting.sign`),
each its own transaction with its audit entries, as the token's clinician of one clinic. GNU Health's
evaluation (bench/gnuhealth_peer.py, in the peer virtualenv) is what its client does for one: create it with
vital signs, complaint, present illness, signs and symptoms, main condition, summary and plan, then press
"End evaluation" (state `done`, signed by the health professional, a Page of Life entry). Each whole visit
or evaluation is timed; threads record them back to back for a fixed time.

GNU Health does less per record: no signing chain (its "done" is a state and a name, not a signed revision
kept beside the earlier ones), no audit log, no rule check before the signature.

Target: sotchart ≥ 1.0× GNU Health's evaluations per second.

`python -m bench peer [--seconds N] [--threads 1,4] [--patients N]`; GNU Health's side needs
`make peer-venv` (without it, sotchart's figures are printed alone)."""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, header, table
from bench.load import load_clinics, record
from sotchart.services import auth, charting, visits
from sotchart.services.context import Actor, App
from sotchart.settings import Settings
from sotchart.store import migrate

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.support.postgres import PostgresServer

PEER_PYTHON = ROOT / ".peer-venv" / "bin" / "python"
PEER_SCRIPT = Path(__file__).with_name("gnuhealth_peer.py")
TARGET = 1.0  # sotchart visits/s ÷ GNU Health evaluations/s
# Each patient's visits go forward a day at a time from here, so every visit after a patient's first has
# the last signed visit before it to carry forward from, as in a clinic (3 years: 1,000 visits per patient).
FIRST_DAY = datetime.now(UTC).date() - timedelta(days=3 * 365)


@dataclass
class Run:
    system: str
    threads: int
    seconds: float = 0.0
    done: int = 0  # whole visits (or evaluations) recorded
    p50_ms: float = float("nan")
    errors: int = 0
    first_error: str = ""

    @property
    def per_s(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def record_visits(
    app: App, actor: Actor, patients: list[int], doc: dict[str, Any], seconds: float, threads: int, counter: Any
) -> Run:
    """Threads recording whole visits back to back for `seconds`: visit k is patient k mod n's visit on
    day k div n, so no two threads chart one patient at once and no patient has two visits a day."""
    run = Run("sotchart", threads)
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < stop_at:
            k = next(counter)
            patient = patients[k % len(patients)]
            day = (FIRST_DAY + timedelta(days=k // len(patients))).isoformat()
            started = time.perf_counter()
            try:
                v = visits.create_visit(app, actor, patient, {"visit_date": day})
                saved = charting.save_record(app, actor, v.id, doc, None, expected_version=v.version)
                charting.sign(app, actor, v.id, None, expected_version=saved.visit["version"])
            except Exception as e:  # counted and shown: the run goes on
                with lock:
                    run.errors += 1
                    run.first_error = run.first_error or f"{type(e).__name__}: {e}"[:500]
                continue
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    run.seconds = time.perf_counter() - started
    run.done = len(latencies)
    run.p50_ms = statistics.median(latencies) * 1000 if latencies else float("nan")
    return run


def run_sotchart(
    url: str, data_dir: Path, seconds: float, thread_counts: list[int], patients: int
) -> tuple[list[Run], dict[str, object], int]:
    settings = Settings(environment="test", data_dir=data_dir, database_url=url, secret_key="bench-" + "k" * 40)
    app = App.from_settings(settings)
    try:
        migrate.upgrade(app.db)
        clinic = load_clinics(app, patients_per_clinic=patients)[0]  # one clinic, as GNU Health has one institution
        actor = auth.actor_for_token(app, clinic.token, "127.0.0.1")  # the API's actor for the token
        assert actor is not None
        doc = record(settings)
        counter = itertools.count()
        record_visits(app, actor, clinic.patients, doc, min(1.0, seconds / 5), max(thread_counts), counter)  # warm-up
        runs = [record_visits(app, actor, clinic.patients, doc, seconds, t, counter) for t in thread_counts]
        return runs, app.db.describe(), len(doc["findings"])
    finally:
        app.close()


def peer_missing() -> str:
    """Why GNU Health's side cannot run, or "" when the peer virtualenv imports trytond and the health module."""
    if not PEER_PYTHON.exists():
        return f"{PEER_PYTHON} does not exist"
    check = subprocess.run(
        [str(PEER_PYTHON), "-c", "import trytond, trytond.modules.health"], capture_output=True, text=True
    )
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["no output"])[-1]
        return f"{PEER_PYTHON} cannot import trytond and its health module ({last})"
    return ""


def run_gnuhealth(
    url: str, seconds: float, thread_counts: list[int], patients: int
) -> tuple[list[Run], list[dict[str, Any]]]:
    """gnuhealth_peer.py in the peer virtualenv, on a new database of the same server: a JSON line per thread count."""
    cmd = [
        str(PEER_PYTHON),
        str(PEER_SCRIPT),
        "--db-url",
        url,
        "--seconds",
        str(seconds),
        "--threads",
        ",".join(map(str, thread_counts)),
        "--patients",
        str(patients),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900 + 3 * seconds * len(thread_counts))
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or len(lines) != len(thread_counts):
        raise RuntimeError(
            f"{PEER_SCRIPT.name} failed (exit status {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    runs = [
        Run(
            "GNU Health",
            int(got["threads"]),
            float(got["seconds"]),
            done=int(got["evaluations"]),
            p50_ms=float("nan") if got["p50_ms"] is None else float(got["p50_ms"]),
            errors=int(got["errors"]),
            first_error=str(got.get("first_error", "")),
        )
        for got in lines
    ]
    return runs, lines


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "peer"]

    def option(name: str, default: str) -> str:
        if name in args:
            i = args.index(name)
            value = args[i + 1]
            del args[i : i + 2]
            return value
        return default

    seconds = float(option("--seconds", "10"))
    thread_counts = [int(t) for t in option("--threads", "1,4").split(",")]
    patients = int(option("--patients", "100"))

    missing = peer_missing()
    pg = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours, database, findings = run_sotchart(
                pg.create_database("sotchart_peer"), Path(tmp), seconds, thread_counts, patients
            )
        theirs: list[Run] = []
        peer_lines: list[dict[str, Any]] = []
        failure = ""
        if not missing:
            print(f"GNU Health: activating the health module in a new database ({PEER_SCRIPT.name}, about a minute)")
            try:
                theirs, peer_lines = run_gnuhealth(
                    pg.create_database("gnuhealth_peer"), seconds, thread_counts, patients
                )
            except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                failure = str(e)
    finally:
        pg.stop()

    peer = peer_lines[-1] if peer_lines else {}
    header("Recording a visit beside GNU Health (in process, one PostgreSQL server, the same run)", database)
    print(
        f"sotchart: one clinic, {patients} patients; a visit = start + save record ({findings} findings, vitals, "
        "care, SOAP note) + sign, each a transaction with its audit entries"
    )
    if peer:
        print(
            f"GNU Health {peer['gnuhealth']} on trytond {peer['trytond']}: one institution, {peer['patients']} "
            "patients; an evaluation = create (vital signs, complaint, present illness, 2 signs and symptoms, "
            "main condition, summary, plan) + End evaluation (state done, signed_by, Page of Life entry), "
            f"each a transaction as the RPC dispatcher runs it; health module activated in {peer['init_s']} s"
        )
    print(f"{seconds:g} s per run after a warm-up; each whole visit or evaluation timed")
    rows: list[dict[str, object]] = []
    for run in ours + theirs:
        rows.append(
            {
                "system": run.system,
                "record": "visit" if run.system == "sotchart" else "evaluation",
                "threads": run.threads,
                "done": run.done,
                "seconds": round(run.seconds, 2),
                "per s": round(run.per_s, 1),
                "p50 ms": round(run.p50_ms, 1),
                "errors": run.errors,
            }
        )
    table(rows)
    if peer:
        states = peer["states"]
        print(
            f"GNU Health's database after the runs (warm-up included): {states['done']} evaluations done, "
            f"{states['in_progress']} left in progress, {states['pages_of_life']} Page of Life entries; "
            f"{sum(r['retries'] for r in peer_lines)} transactions retried after a serialization failure"
        )
    for run in ours + theirs:
        if run.first_error:
            print(f"first error ({run.system}, {run.threads} threads): {run.first_error}")
    for mine, other in zip(ours, theirs, strict=False):
        ratio = mine.per_s / other.per_s if other.per_s else float("nan")
        latency = mine.p50_ms / other.p50_ms if other.done else float("nan")
        verdict = "met" if ratio >= TARGET else "not met"
        print(
            f"{mine.threads} thread{'s' if mine.threads > 1 else ''}: sotchart visits/s ÷ GNU Health evaluations/s "
            f"= {ratio:.2f} (target ≥ {TARGET:.1f}: {verdict}); median latency sotchart ÷ GNU Health = {latency:.2f}"
        )
    if missing:
        print(
            f"GNU Health's side was skipped: {missing}. Install it with `make peer-venv` (GNU Health 5.0 on trytond "
            "7.0 in .peer-venv), then run `python -m bench peer` again."
        )
    elif failure:
        print(f"GNU Health's side failed, so there is no ratio:\n{failure}")
    print(
        "GNU Health does less per record: its End evaluation sets a state, the signer's name and the end time (and "
        "writes a Page of Life entry); it keeps no signed revision beside the earlier ones, writes no audit log and "
        "checks nothing before ending (sotchart refuses to sign an incomplete note)."
    )


if __name__ == "__main__":
    main()
