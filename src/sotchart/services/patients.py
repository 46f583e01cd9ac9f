"""Registering, finding and opening patients' charts."""

from __future__ import annotations

import contextlib
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput, NotFound, StaleVersion
from sotchart.domain.patients import PatientDetails, age_on, check_alert, check_details, search_key
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.services.questionnaires import Course, read_courses
from sotchart.store import coverage as coverage_store
from sotchart.store import patients as patient_store
from sotchart.store import visits as visit_store

DETAIL_FIELDS = tuple(PatientDetails.__dataclass_fields__)  # what registration and its changes take


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
    preferred_name: str
    emergency_name: str
    emergency_phone: str
    emergency_relationship: str
    referring_provider: str
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
    coverages: list[dict[str, Any]] = field(default_factory=list)  # the patient's insurance, likewise


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
    for name in (f for f in DETAIL_FIELDS if f != "birth_date"):
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


def phone_key(raw: str, region: str = "US") -> str:
    """A phone number as searched: its national digits, reversed, so the last digits the desk types are an
    index prefix ("0142" finds +1 555 010 0142). Read by phonenumbers where it parses; its digits if not."""
    import phonenumbers  # loaded when a number is registered or searched, not in every worker

    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) >= 10:  # a whole number; fewer digits are the end of one, searched as typed
        with contextlib.suppress(phonenumbers.NumberParseException):
            digits = str(phonenumbers.parse(raw, region).national_number)
    return digits[::-1][:20]


def search_keys(details: PatientDetails) -> dict[str, str]:
    """The keys a patient is found by: names folded, the phone's reversed digits, the email folded."""
    return {
        "family_key": search_key(details.family_name),
        "given_key": search_key(details.given_name),
        "phone_key": phone_key(details.phone) if details.phone else "",
        "email_key": details.email.strip().lower(),
    }


def _refuse_possible_duplicate(u: Any, details: PatientDetails, values: dict[str, Any]) -> None:
    """A double-click on Register, or the same person registered twice (same name and birth date, or the
    same phone or email): ask before a second chart, naming what matched."""
    same = patient_store.same_person(
        u.conn,
        clinic_id=u.clinic_id(),
        family_key=values["family_key"],
        given_key=values["given_key"],
        birth_date=details.birth_date,
        phone_key=values["phone_key"] if len(values["phone_key"]) >= 7 else "",
        email_key=values["email_key"],
    )
    if not same:
        return
    charts = ", ".join(str(s["chart_number"]) for s in same)
    matched = sorted({m for s in same for m in s["matched"]})
    raise PossibleDuplicate(
        f"{details.given_name} {details.family_name} may already be registered: the same {' and '.join(matched)} "
        f"as chart {charts}. Open that chart, or confirm this is a different person.",
        [FieldProblem("confirm_not_duplicate", f"Same {' and '.join(matched)} as chart {charts}.")],
        [int(s["id"]) for s in same],
    )


def register_patient(app: App, actor: Actor, data: dict[str, Any]) -> Patient:
    details = parse_details(data)
    with unit(app, actor, Action.PATIENT_CREATE, "patient") as u:
        check_details(details, u.today())
        values = asdict(details) | search_keys(details)
        if data.get("confirm_not_duplicate") not in (True, "true", "1"):
            _refuse_possible_duplicate(u, details, values)
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
        values = asdict(details) | search_keys(details)
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


_DATE_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_PHONE_LIKE = re.compile(r"^[0-9+()\-. ]+$")


def _typed_date(text: str) -> date | None:
    """A date of birth as the desk types it: 1979-03-02, or US style 03/02/1979 (month first); a first
    number over 12 can only be a day (27/03/1984), so that one is read day first."""
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return date.fromisoformat(text)
        m = _DATE_SLASHED.match(text)
        if m:
            a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            return date(year, b, a) if a > 12 else date(year, a, b)
    except ValueError:
        return None
    return None


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


def _merged(first: list[dict[str, Any]], then: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two searches' matches, the first's first, each patient once."""
    seen = {r["id"] for r in first}
    return first + [r for r in then if r["id"] not in seen]


def search_patients(app: App, actor: Actor, query: SearchQuery, limit: int = 50) -> list[Patient]:
    """Name prefix ("smi", "smith, jo", "jo smith"), a chart or external number, the end of a phone number,
    an email, a date of birth (ISO or US style), or a name with a date of birth."""
    with unit(app, actor, Action.PATIENT_SEARCH, "patient", read=True) as u:
        kwargs: dict[str, Any] = {"clinic_id": u.clinic_id(), "birth_date": query.birth_date, "limit": limit}
        text = query.text
        iso = _typed_date(text)
        digits = "".join(ch for ch in text if ch.isdigit())
        words = text.split()
        if not (text or query.birth_date):
            return []
        if iso:
            rows = patient_store.search(u.conn, **kwargs | {"birth_date": iso})
        elif "@" in text:
            rows = patient_store.search(u.conn, **kwargs | {"email_prefix": text.lower()})
        elif _PHONE_LIKE.match(text) and len(digits) >= 4:
            # A chart number of digits, or the end of a phone number: both, chart numbers first.
            rows = _merged(
                patient_store.search(u.conn, **kwargs | {"identifier": text}),
                patient_store.search(u.conn, **kwargs | {"phone_key_prefix": phone_key(text)}),
            )
        elif "," in text:
            family, given = (search_key(x) for x in text.split(",", 1))
            rows = patient_store.search(u.conn, **kwargs | {"family_prefix": family, "given_prefix": given})
        elif len(words) == 2 and not digits:
            # "Adaeze Okonkwo" as the desk hears it, given name first; "Okonkwo Adaeze" too.
            first, second = (search_key(w) for w in words)
            rows = _merged(
                patient_store.search(u.conn, **kwargs | {"family_prefix": second, "given_prefix": first}),
                patient_store.search(u.conn, **kwargs | {"family_prefix": first, "given_prefix": second}),
            )
        elif digits:
            rows = patient_store.search(u.conn, **kwargs | {"identifier": text})
        else:
            rows = patient_store.search(u.conn, **kwargs | {"any_name_prefix": search_key(text)})
        rows = rows[:limit]
        u.audit("patient.search", "patient", "", detail=f"results={len(rows)}")
        u.audit_shown("patient.listed", (int(r["id"]) for r in rows), detail="search result")
        return [_patient(r) for r in rows]


LISTS = {"in-care": "In care (an active care plan)", "lapsed": "No visit for some weeks"}


def patient_list(app: App, actor: Actor, which: str, weeks: int = 4) -> list[tuple[Patient, date | None]]:
    """A front-desk list (`LISTS`): who is in care, or who has not been seen for `weeks` weeks (to call)."""
    if which not in LISTS:
        raise InvalidInput("Choose a list.", [FieldProblem("list", "Choose one of the lists offered.")])
    if not 1 <= weeks <= 520:
        raise InvalidInput("Choose the weeks.", [FieldProblem("weeks", "Use 1 to 520 weeks.")])
    with unit(app, actor, Action.PATIENT_SEARCH, "patient", read=True) as u:
        rows = patient_store.listed(
            u.conn,
            clinic_id=u.clinic_id(),
            in_care=which == "in-care",
            seen_before=u.today() - timedelta(weeks=weeks) if which == "lapsed" else None,
        )
        u.audit("patient.list", "patient", "", detail=f"list={which} weeks={weeks} results={len(rows)}")
        u.audit_shown("patient.listed", (int(r["id"]) for r in rows), detail=f"list {which}")
        return [(_patient(r), r["last_visit"]) for r in rows]


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
            chart.coverages = coverage_store.of_patient(u.conn, u.clinic_id(), patient_id)
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
