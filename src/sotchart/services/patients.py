"""Registering, finding and opening patients' charts."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput, NotFound, StaleVersion
from sotchart.domain.patients import PatientDetails, age_on, check_alert, check_details, search_key
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.services.questionnaires import Course, read_courses
from sotchart.store import patients as patient_store
from sotchart.store import visits as visit_store

DETAIL_FIELDS = ("family_name", "given_name", "birth_date", "sex", "phone", "email", "address", "external_id")


@dataclass(frozen=True)
class Patient:
    id: int
    chart_number: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    phone: str
    email: str
    address: str
    external_id: str
    status: str
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["birth_date"] = self.birth_date.isoformat()
        d["created_at"] = self.created_at.isoformat()
        d["updated_at"] = self.updated_at.isoformat()
        return d


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    text: str


@dataclass
class Chart:
    patient: Patient
    alerts: list[Alert]
    episodes: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    visit_summary: dict[str, Any]
    next_cursor: str | None = None
    today: date = field(default_factory=date.today)
    # Oldest first: each visit's pain, indicators before and after, and category, for the progress charts.
    progress: list[dict[str, Any]] = field(default_factory=list)
    goals: str = ""
    outcomes: list[Course] = field(default_factory=list)  # read only for the chart page (with_outcomes)


def _patient(row: dict[str, Any]) -> Patient:
    return Patient(**{k: row[k] for k in Patient.__dataclass_fields__})


def parse_details(data: dict[str, Any]) -> PatientDetails:
    """Form or JSON fields → PatientDetails, naming each field that cannot be read."""
    problems: list[FieldProblem] = []
    raw_date = str(data.get("birth_date") or "").strip()
    birth = None
    try:
        birth = date.fromisoformat(raw_date)
    except ValueError:
        problems.append(FieldProblem("birth_date", "Enter the date of birth as YYYY-MM-DD, e.g. 1984-03-27."))
    texts = {}
    for name in ("family_name", "given_name", "sex", "phone", "email", "address", "external_id"):
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems.append(FieldProblem(name, "Enter text."))
            value = ""
        texts[name] = value.strip()
    if problems:
        raise InvalidInput("Some entries need fixing.", problems)
    return PatientDetails(birth_date=birth, sex=texts.pop("sex") or "unknown", **texts)  # type: ignore[arg-type]


class PossibleDuplicate(InvalidInput):
    """Registering a patient who looks already registered: the charts that match, to open instead."""

    def __init__(self, detail: str, problems: list[FieldProblem], patient_ids: list[int]) -> None:
        super().__init__(detail, problems)
        self.patient_ids = patient_ids


def register_patient(app: App, actor: Actor, data: dict[str, Any]) -> Patient:
    details = parse_details(data)
    with unit(app, actor, Action.PATIENT_CREATE, "patient") as u:
        check_details(details, u.today())
        values = asdict(details)
        values["family_key"] = search_key(details.family_name)
        values["given_key"] = search_key(details.given_name)
        same = patient_store.same_name_and_birth(
            u.conn,
            clinic_id=u.clinic_id(),
            family_key=values["family_key"],
            given_key=values["given_key"],
            birth_date=details.birth_date,
        )
        if same and data.get("confirm_not_duplicate") not in (True, "true", "1"):
            # A double-click on Register, or the same person registered twice: ask before a second chart.
            charts = ", ".join(str(s["chart_number"]) for s in same)
            raise PossibleDuplicate(
                f"{details.given_name} {details.family_name}, born {details.birth_date:%d %b %Y}, is already "
                f"registered (chart {charts}). Open that chart, or confirm this is a different person.",
                [FieldProblem("confirm_not_duplicate", f"Already registered as chart {charts}.")],
                [int(s["id"]) for s in same],
            )
        pid = patient_store.create(u.conn, clinic_id=u.clinic_id(), values=values, actor_id=actor.user_id, now=u.now)
        u.audit("patient.create", "patient", pid, patient_id=pid)
        return _patient(patient_store.get(u.conn, u.clinic_id(), pid) or {})


def update_patient(app: App, actor: Actor, patient_id: int, data: dict[str, Any], if_match: int | None) -> Patient:
    with unit(app, actor, Action.PATIENT_UPDATE, "patient", patient_id) as u:
        row = patient_store.get(u.conn, u.clinic_id(), patient_id)
        if row is None:
            raise NotFound("No such patient in this clinic.")
        merged = {k: row[k] for k in DETAIL_FIELDS} | {k: v for k, v in data.items() if k in DETAIL_FIELDS}
        if isinstance(merged["birth_date"], date):
            merged["birth_date"] = merged["birth_date"].isoformat()
        details = parse_details(merged)
        check_details(details, u.today())
        expected = row["version"] if if_match is None else if_match
        values = asdict(details) | {
            "family_key": search_key(details.family_name),
            "given_key": search_key(details.given_name),
        }
        if not patient_store.update_if_version(
            u.conn,
            clinic_id=u.clinic_id(),
            patient_id=patient_id,
            expected_version=expected,
            values=values,
            actor_id=actor.user_id,
            now=u.now,
        ):
            raise StaleVersion(
                "This patient was changed by someone else after you opened it. "
                "Reload to see their changes, then make yours again."
            )
        changed = sorted(k for k in DETAIL_FIELDS if str(row[k]) != str(values[k]))
        u.audit("patient.update", "patient", patient_id, patient_id=patient_id, detail="fields=" + ",".join(changed))
        return _patient(patient_store.get(u.conn, u.clinic_id(), patient_id) or {})


_DATE_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    birth_date: date | None = None

    @classmethod
    def parse(cls, text: str = "", birth_date: str = "") -> SearchQuery:
        text = text.strip()[:200]
        bd = None
        if birth_date.strip():
            try:
                bd = date.fromisoformat(birth_date.strip())
            except ValueError as err:
                raise InvalidInput(
                    "The date of birth could not be read.",
                    [FieldProblem("birth_date", "Use YYYY-MM-DD, e.g. 1984-03-27.")],
                ) from err
        return cls(text, bd)


def search_patients(app: App, actor: Actor, query: SearchQuery, limit: int = 50) -> list[Patient]:
    """Name prefix ("smi", "smith, jo"), a chart or external number, a date of birth, or a mix."""
    with unit(app, actor, Action.PATIENT_SEARCH, "patient", read=True) as u:
        kwargs: dict[str, Any] = {"clinic_id": u.clinic_id(), "birth_date": query.birth_date, "limit": limit}
        text = query.text
        iso = None
        m = _DATE_DMY.match(text)
        try:
            iso = date.fromisoformat(text) if re.match(r"^\d{4}-\d{2}-\d{2}$", text) else None
            if m:
                iso = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            iso = None
        if iso:
            kwargs["birth_date"] = iso
        elif "," in text:
            family, given = (search_key(x) for x in text.split(",", 1))
            kwargs |= {"family_prefix": family, "given_prefix": given}
        elif text and any(ch.isdigit() for ch in text):
            kwargs["identifier"] = text
        elif text:
            kwargs["any_name_prefix"] = search_key(text)
        if not (text or query.birth_date):
            return []
        rows = patient_store.search(u.conn, **kwargs)
        u.audit("patient.search", "patient", "", detail=f"results={len(rows)}")
        u.audit_shown("patient.listed", (int(r["id"]) for r in rows), detail="search result")
        return [_patient(r) for r in rows]


def open_chart(
    app: App, actor: Actor, patient_id: int, cursor: str | None = None, *, with_outcomes: bool = False
) -> Chart:
    """The chart: header, alerts, episodes and one page of visits, and for the chart page the
    questionnaires' courses too. Every opening is audited."""
    before = _parse_cursor(cursor)
    with unit(app, actor, Action.PATIENT_READ, "patient", patient_id, read=True) as u:
        row = patient_store.get(u.conn, u.clinic_id(), patient_id)
        if row is None:
            raise NotFound("No such patient in this clinic.")
        size = app.settings.page_size
        visits = visit_store.page_for_patient(
            u.conn, clinic_id=u.clinic_id(), patient_id=patient_id, limit=size + 1, before=before
        )
        next_cursor = None
        if len(visits) > size:
            visits = visits[:size]
            last = visits[-1]
            next_cursor = f"{last['visit_date'].isoformat()}_{last['id']}"
        chart = Chart(
            patient=_patient(row),
            alerts=[Alert(a["id"], a["kind"], a["text"]) for a in patient_store.alerts(u.conn, patient_id)],
            episodes=visit_store.episodes_for_patient(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id),
            visits=visits,
            visit_summary=visit_store.summary_for_patient(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id),
            next_cursor=next_cursor,
            today=u.today(),
            progress=visit_store.progress_series(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id),
            goals=visit_store.care_plan_goals(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id),
        )
        u.audit("patient.read", "patient", patient_id, patient_id=patient_id)
        if with_outcomes:
            chart.outcomes = read_courses(u, patient_id)
        return chart


def _parse_cursor(cursor: str | None) -> tuple[date, int] | None:
    if not cursor:
        return None
    try:
        d, vid = cursor.split("_", 1)
        return date.fromisoformat(d), int(vid)
    except ValueError as err:
        raise InvalidInput(
            "The page link is not valid; go back to the first page of visits.",
            [FieldProblem("before", "Use the link from the previous page.")],
        ) from err


def add_alert(app: App, actor: Actor, patient_id: int, kind: str, text: str) -> Alert:
    check_alert(kind, text)
    with unit(app, actor, Action.PATIENT_UPDATE, "patient", patient_id) as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        aid = patient_store.add_alert(
            u.conn, patient_id=patient_id, kind=kind, text=text.strip(), actor_id=actor.user_id, now=u.now
        )
        u.audit("alert.create", "patient_alert", aid, patient_id=patient_id)
        return Alert(aid, kind, text.strip())


def chart_notes(app: App, actor: Actor, patient_id: int) -> list[dict[str, Any]]:
    """Every visit of the patient with its note, oldest first (the whole chart, for export)."""
    with unit(app, actor, Action.PATIENT_READ, "patient", patient_id, read=True) as u:
        if patient_store.get(u.conn, u.clinic_id(), patient_id) is None:
            raise NotFound("No such patient in this clinic.")
        notes = visit_store.notes_for_patient(u.conn, clinic_id=u.clinic_id(), patient_id=patient_id)
        u.audit("patient.read", "patient", patient_id, patient_id=patient_id, detail="whole chart")
        return notes


def patient_ids(app: App, actor: Actor) -> list[int]:
    """Every patient of the clinic, for a whole-practice export."""
    with unit(app, actor, Action.EXPORT, "clinic", "", read=True) as u:
        return patient_store.ids_in_clinic(u.conn, u.clinic_id())
