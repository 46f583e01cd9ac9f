"""The de-identified research export for practice-based research networks: signed visits, findings, care
given, diagnoses, questionnaires and double examinations as CSV and Parquet, with a data dictionary and a
README saying what was removed (HIPAA Safe Harbor) and how dates were kept. Zipped into one file."""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sotchart import __version__
from sotchart.domain import agreement
from sotchart.domain import deidentify as rules
from sotchart.domain.roles import Action
from sotchart.domain.spreadsheet import safe_cell
from sotchart.services.context import Actor, App, unit
from sotchart.store import examinations as exam_store
from sotchart.store import research as store

FLUSH_ROWS = 20_000


class _Table:
    """One table written twice as rows arrive: CSV line by line, Parquet a batch at a time."""

    def __init__(self, folder: Path, name: str, columns: list[rules.Column]) -> None:
        self.columns = columns
        self.rows = 0
        self._csv_file = (folder / "csv" / f"{name}.csv").open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow([c.name for c in columns])
        # pyarrow is imported here, by the export that uses it, not by every server worker (30 MB each).
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        kinds = {"int": pa.int64(), "float": pa.float64(), "text": pa.string(), "date": pa.date32()}
        self._schema = pa.schema([(c.name, kinds[c.kind]) for c in columns])
        self._parquet = pq.ParquetWriter(str(folder / "parquet" / f"{name}.parquet"), self._schema)
        self._batch: dict[str, list[Any]] = {c.name: [] for c in columns}

    def add(self, row: dict[str, Any]) -> None:
        values = [row.get(c.name) for c in self.columns]
        self._csv.writerow(
            [safe_cell("" if v is None else v.isoformat() if isinstance(v, date) else v) for v in values]
        )
        for c, v in zip(self.columns, values, strict=True):
            self._batch[c.name].append(v)
        self.rows += 1
        if len(self._batch[self.columns[0].name]) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._batch[self.columns[0].name]:
            self._parquet.write_table(self._pa.table(self._batch, schema=self._schema))
            self._batch = {c.name: [] for c in self.columns}

    def close(self) -> None:
        self._flush()
        self._parquet.close()
        self._csv_file.close()


@dataclass
class ResearchExport:
    path: Path
    strict: bool
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class _People:
    """Export numbers and date shifts, made fresh for each export and never stored."""

    rng: random.Random
    patient: dict[int, int] = field(default_factory=dict)
    shift: dict[int, int] = field(default_factory=dict)
    first: dict[int, date] = field(default_factory=dict)
    visit: dict[int, tuple[int, int]] = field(default_factory=dict)  # visit id → (export number, patient id)
    episode: dict[int, int] = field(default_factory=dict)
    clinician: dict[int, str] = field(default_factory=dict)

    def clinician_of(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.clinician:
            self.clinician[user_id] = f"clinician-{len(self.clinician) + 1}"
        return self.clinician[user_id]


def _dates(people: _People, patient_id: int, prefix: str, day: date, strict: bool) -> dict[str, Any]:
    shifted = day + timedelta(days=people.shift[patient_id])
    out: dict[str, Any] = {
        f"{prefix}_year": day.year if strict else shifted.year,
        f"{prefix}_day": (day - people.first[patient_id]).days,
    }
    if not strict:
        out[f"{prefix}_date"] = shifted
    return out


def _readme(result: ResearchExport, clinic_id: int, today: date) -> str:
    lines = [
        f"sotchart {__version__}: de-identified research export of clinic {clinic_id}, made {today.isoformat()}.",
        "",
        "Signed visits only (drafts and visits entered in error are left out); no note, alert or other free text.",
        "Tables are in csv/ and parquet/ (the same rows); data_dictionary.csv says what every column means.",
        "Dates: "
        + (
            "years and day numbers only (--strict)."
            if result.strict
            else "moved per patient by a secret "
            "number of days (up to ±182, never stored); intervals between a patient's dates are kept."
        ),
        "",
        "HIPAA Safe Harbor, 45 CFR 164.514(b)(2): what became of each identifier",
        *(f"- {name}: {how}" for name, how in rules.SAFE_HARBOR),
        "",
        "Safe Harbor also requires that the clinic has no actual knowledge that what remains could identify a",
        "patient (a rare condition in a small town, for example): check before you share.",
        "",
        "Rows: " + ", ".join(f"{k} {v}" for k, v in result.rows.items()),
    ]
    return "\n".join(lines) + "\n"


def _diagnoses(record: dict[str, Any]) -> list[tuple[str, str]]:
    doc, assessment = json.loads(record["document"]), json.loads(record["assessment"])
    codes = [(d["code"], "region") for d in (assessment.get("coding") or {}).get("icd10") or []]
    seen = {c for c, _ in codes}
    codes += [(d["code"], "secondary") for d in doc.get("diagnoses") or [] if d.get("code") not in seen]
    return codes


def may_export(app: App, actor: Actor) -> None:
    """Refuse (and audit the refusal) unless the actor may take de-identified data."""
    with unit(app, actor, Action.DEIDENTIFIED_READ, "research", "", read=True):
        pass


def export(
    app: App, actor: Actor, dest: Path, *, strict: bool = True, progress: Callable[[str], None] | None = None
) -> ResearchExport:
    """Write the zip to `dest`. Researchers, clinicians and owners may; the export is audited. Strict Safe
    Harbor (years and day numbers, no dates) unless shifted dates are asked for."""
    result = ResearchExport(dest, strict)
    say = progress or (lambda _what: None)
    with tempfile.TemporaryDirectory() as tmp, unit(app, actor, Action.DEIDENTIFIED_READ, "research", read=True) as u:
        folder = Path(tmp)
        (folder / "csv").mkdir()
        (folder / "parquet").mkdir()
        clinic_id = u.clinic_id()
        people = _People(random.SystemRandom())
        tables: dict[str, _Table] = {
            name: _Table(folder, name, rules.strict(cols) if strict else cols)
            for name, cols in rules.DICTIONARY.items()
        }
        say("patients")
        seen = store.patients(u.conn, clinic_id)
        numbers = list(range(1, len(seen) + 1))
        people.rng.shuffle(numbers)
        for p, n in zip(seen, numbers, strict=True):
            people.patient[p["id"]], people.first[p["id"]] = n, p["first_visit"]
            people.shift[p["id"]] = rules.new_shift(people.rng)
        for p in sorted(seen, key=lambda p: people.patient[p["id"]]):
            tables["patients"].add(
                {
                    "patient": people.patient[p["id"]],
                    "sex": p["sex"],
                    "age_at_first_visit": rules.safe_age(p["birth_date"], p["first_visit"]),
                }
            )
        say("episodes")
        episodes = [e for e in store.episodes(u.conn, clinic_id) if e["patient_id"] in people.patient]
        # k counts patients, not episodes: one patient with five episodes of a rare complaint is still one.
        by_patient = {(e["patient_id"], rules.complaint_category(e["complaint"])) for e in episodes}
        common = rules.common_values(category for _pid, category in by_patient)
        for e in episodes:
            people.episode[e["id"]] = len(people.episode) + 1
            complaint = rules.complaint_category(e["complaint"])
            tables["episodes"].add(
                {
                    "episode": people.episode[e["id"]],
                    "patient": people.patient[e["patient_id"]],
                    "complaint": complaint if complaint in common else "other",
                    **_dates(people, e["patient_id"], "start", e["start_date"], strict),
                }
            )
        say("visits")
        for v in store.visits(u.conn, clinic_id):
            number = len(people.visit) + 1
            people.visit[v["id"]] = (number, v["patient_id"])
            tables["visits"].add(
                {
                    **v,
                    "visit": number,
                    "patient": people.patient[v["patient_id"]],
                    "episode": people.episode.get(v["episode_id"]) if v["episode_id"] else None,
                    "clinician": people.clinician_of(v["clinician_id"]),
                    **_dates(people, v["patient_id"], "visit", v["visit_date"], strict),
                }
            )
        say("findings")
        for f in store.findings(u.conn, clinic_id):
            tables["findings"].add(
                {**f, "visit": people.visit[f["visit_id"]][0], "mm": f["mm"] / 10 if f["mm"] is not None else None}
            )
        for t in store.treatments(u.conn, clinic_id):
            tables["treatments"].add({"visit": people.visit[t["visit_id"]][0], "kind": t["kind"]})
        say("diagnoses")
        for r in store.signed_records(u.conn, clinic_id):
            for code, source in _diagnoses(r):
                tables["diagnoses"].add({"visit": people.visit[r["visit_id"]][0], "code": code, "source": source})
        say("questionnaires")
        for q in store.questionnaires(u.conn, clinic_id):
            if q["patient_id"] in people.patient:
                tables["questionnaires"].add(
                    {
                        **q,
                        "patient": people.patient[q["patient_id"]],
                        **_dates(people, q["patient_id"], "answered", q["answered_on"], strict),
                    }
                )
        say("examinations")
        for x in exam_store.for_agreement(u.conn, clinic_id=clinic_id, start=date(1900, 1, 1), end=date(2999, 12, 31)):
            number = people.visit[x["visit_id"]][0]
            raters = [("visit", agreement.ratings(x["findings"], x["category"], x["side"]))]
            raters += [
                (people.clinician_of(uid) or "", agreement.ratings(o["findings"], o["category"], o["side"]))
                for uid, o in x["others"].items()
            ]
            for examiner, ratings in raters:
                for item, rating in sorted(ratings.items()):
                    tables["examinations"].add({"visit": number, "examiner": examiner, "item": item, "rating": rating})
        for name, table in tables.items():
            table.close()
            result.rows[name] = table.rows
        u.audit(
            "research.export",
            "clinic",
            clinic_id,
            detail=f"strict={strict} patients={result.rows['patients']} visits={result.rows['visits']}",
        )
        today = u.today()
        dictionary = io.StringIO()
        w = csv.writer(dictionary)
        w.writerow(["table", "column", "type", "meaning"])
        for name, table in tables.items():
            for c in table.columns:
                w.writerow([name, c.name, c.kind, c.meaning])
        say("zip")
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("README.txt", _readme(result, clinic_id, today))
            z.writestr("data_dictionary.csv", dictionary.getvalue())
            for sub in ("csv", "parquet"):
                for path in sorted((folder / sub).iterdir()):
                    z.write(path, f"{sub}/{path.name}")
    return result
