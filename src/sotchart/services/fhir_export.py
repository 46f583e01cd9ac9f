"""Leaving is one command: a patient's or the whole practice's record as FHIR R4 NDJSON, one file per
resource type with a manifest in the Bulk Data layout, zipped. Streamed from the database to the files,
so memory stays flat however large the practice."""

from __future__ import annotations

import csv
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from sotchart import __version__
from sotchart.domain import vocabulary as vocab
from sotchart.domain.errors import NotFound
from sotchart.domain.fhir import codes as c
from sotchart.domain.fhir import mapper
from sotchart.domain.protocol.pack import ProtocolPack
from sotchart.domain.questionnaires import INSTRUMENTS
from sotchart.domain.roles import Action
from sotchart.domain.spreadsheet import safe_cell
from sotchart.services import protocol
from sotchart.services.context import Actor, App, unit
from sotchart.store import clinics as clinic_store
from sotchart.store import export as store
from sotchart.store import patients as patient_store
from sotchart.store import users as user_store

Progress = Callable[[str, int], None]
PROGRESS_EVERY = 1000


@dataclass
class ExportReport:
    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def resources(self) -> int:
        return sum(self.counts.values())


class _Ndjson:
    """One NDJSON file per resource type, opened when its first resource arrives."""

    def __init__(self, folder: Path, progress: Progress) -> None:
        self.folder = folder
        self.files: dict[str, IO[bytes]] = {}
        self.counts: dict[str, int] = {}
        self._progress = progress
        self._since = 0

    def write(self, resources: Iterable[mapper.Resource | None]) -> None:
        for r in resources:
            if r is None:
                continue
            kind = r["resourceType"]
            f = self.files.get(kind)
            if f is None:
                f = self.files[kind] = (self.folder / f"{kind}.ndjson").open("wb")
                self.counts[kind] = 0
            f.write(orjson.dumps(r))
            f.write(b"\n")
            self.counts[kind] += 1
            self._since += 1
            if self._since >= PROGRESS_EVERY:
                self._progress(kind, self._since)
                self._since = 0

    def close(self) -> None:
        self._progress("", self._since)
        for f in self.files.values():
            f.close()


def vocabulary_resources(pack: ProtocolPack, when: datetime) -> list[mapper.Resource]:
    """sotchart's own code systems, from the vocabulary and the protocol pack in use, with a value set each."""
    values = {str(v): str(v) for ind in pack.indicators.values() for v in ind.values}
    concepts = {
        "sot-finding": {code: ind.name for code, ind in pack.indicators.items()},
        "sot-finding-value": values,
        "sot-attribute": c.ATTRIBUTES,
        "sot-phase": c.PHASES,
        "sot-side": {s: c.SIDES.get(s, s) for s in vocab.SIDES},
        "sot-category": c.CATEGORIES,
        "sot-procedure": {code: p.name for code, p in pack.procedures.items()},
        "sot-visit-kind": c.VISIT_KINDS,
        "sot-questionnaire": {
            **{code: i.name for code, i in INSTRUMENTS.items()},
            **{f"{code}-percent": f"{i.name}, percent score" for code, i in INSTRUMENTS.items()},
        },
    }
    out: list[mapper.Resource] = []
    for name, concept in concepts.items():
        out += mapper.code_system(name, concept, when.date())
    return out


def visit_resources(v: dict[str, Any], names: dict[str, str]) -> Iterable[mapper.Resource | None]:
    doc, assessment = v["document"], v["assessment"]
    yield mapper.encounter(v)
    yield from mapper.vitals(v, doc)
    yield from mapper.findings(v, doc, names)
    yield from mapper.conditions(v, assessment, doc)
    yield from mapper.procedures(v, v["treatments"], names)
    yield mapper.note(v)


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def _write_csv(conn: Any, folder: Path, clinic_id: int, patient_id: int | None) -> list[str]:
    """Each of the clinic's tables as CSV (the record as sotchart keeps it, beside the FHIR resources)."""
    (folder / "csv").mkdir()
    for name in store.CSV_TABLES:
        columns, rows = store.table_rows(conn, name, clinic_id, patient_id)
        with (folder / "csv" / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(columns)
            w.writerows([safe_cell(_csv_value(v)) for v in row] for row in rows)
    return list(store.CSV_TABLES)


def record_resources(
    conn: Any, clinic_id: int, patient_id: int | None, names: dict[str, str]
) -> Iterator[mapper.Resource | None]:
    """The patients' records (one patient's, or the clinic's): each patient, each visit's resources, each
    episode's care plan and each questionnaire, streamed."""
    yield from (mapper.patient(p) for p in store.patients(conn, clinic_id, patient_id))
    goals: dict[int, str] = {}
    for v in store.visits(conn, clinic_id, patient_id):
        if v["episode_id"] and (g := str((v["document"].get("intake") or {}).get("plan.goals") or "").strip()):
            goals[v["episode_id"]] = g  # the latest care plan's goals
        yield from visit_resources(v, names)
    yield from (mapper.care_plan(e, goals.get(e["id"], "")) for e in store.episodes(conn, clinic_id, patient_id))
    for q in store.questionnaires(conn, clinic_id, patient_id):
        yield from mapper.questionnaire_response(questionnaire_row(q))


def indicator_and_procedure_names(pack: ProtocolPack) -> dict[str, str]:
    return {code: i.name for code, i in pack.indicators.items()} | {code: p.name for code, p in pack.procedures.items()}


def questionnaire_row(q: dict[str, Any]) -> dict[str, Any]:
    inst = INSTRUMENTS.get(q["instrument"])
    return {**q, "name": inst.name if inst else q["instrument"], "loinc": inst.loinc if inst else ""}


def export(
    app: App, actor: Actor, dest: Path, *, patient_id: int | None = None, progress: Progress | None = None
) -> ExportReport:
    """Write the zip to `dest`: the clinic's whole record, or one patient's. Owners only; audited."""
    started = time.perf_counter()
    report = ExportReport(dest)
    pack = protocol.active(app.settings)
    names = indicator_and_procedure_names(pack)
    record_type, record_id = ("patient", str(patient_id)) if patient_id is not None else ("clinic", "")
    with (
        tempfile.TemporaryDirectory() as tmp,
        unit(app, actor, Action.EXPORT, record_type, record_id, read=True) as u,
    ):
        clinic_id = u.clinic_id()
        if patient_id is not None and patient_store.get(u.conn, clinic_id, patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        out = _Ndjson(Path(tmp), progress or (lambda _kind, _n: None))
        out.write(vocabulary_resources(pack, u.now))
        clinic = clinic_store.get(u.conn, clinic_id)
        assert clinic is not None
        out.write([mapper.organization(clinic)])
        out.write(
            mapper.practitioner(s)
            for s in user_store.list_for_clinic(u.conn, clinic_id)
            if s["role"] in ("owner", "clinician")
        )
        out.write(record_resources(u.conn, clinic_id, patient_id, names))
        out.close()
        tables = _write_csv(u.conn, Path(tmp), clinic_id, patient_id)
        report.counts = dict(out.counts)
        u.audit(
            "export.fhir",
            record_type,
            record_id or clinic_id,
            patient_id=patient_id,
            detail=f"resources={report.resources}",
        )
        manifest = {
            "transactionTime": u.now.isoformat(timespec="seconds"),
            "request": f"sotchart {__version__} export" + (f" --patient {patient_id}" if patient_id else ""),
            "requiresAccessToken": False,
            "output": [{"type": k, "url": f"{k}.ndjson", "count": n} for k, n in sorted(report.counts.items())],
            "error": [],
        }
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
            for kind in sorted(report.counts):
                z.write(Path(tmp) / f"{kind}.ndjson", f"{kind}.ndjson")
            for name in tables:
                z.write(Path(tmp) / "csv" / f"{name}.csv", f"csv/{name}.csv")
    report.seconds = time.perf_counter() - started
    return report
