"""The calendar's pages: the day and the week, booking, one appointment and what the desk does with it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from sotchart.domain import appointments as rules
from sotchart.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from sotchart.domain.roles import Action, allows
from sotchart.services import appointments, patients
from sotchart.services.context import require
from sotchart.web.deps import AppDep, FormDep, PageUser, RecordId
from sotchart.web.errors import wants_json
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)

BOOKING_FIELDS = (
    "patient_id",
    "clinician_id",
    "type",
    "starts_at",
    "room_id",
    "minutes",
    "note",
    "episode_id",
    "confirm",
)


def _day(raw: str, today: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else today
    except ValueError:
        raise InvalidInput("Use a date as YYYY-MM-DD.", []) from None


def _clinician_filter(raw: str) -> list[int] | None:
    return [int(raw)] if raw.isdigit() else None


@router.get("/calendar")
def calendar_page(
    request: Request,
    app: AppDep,
    user: PageUser,
    day: Annotated[str, Query(max_length=10)] = "",
    view: Annotated[str, Query(pattern="^(day|week)$")] = "day",
    clinician: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    setup = appointments.setup(app, user.actor)
    today = app.clock().astimezone(setup.zone).date()
    shown = _day(day, today)
    if view == "week":
        shown -= timedelta(days=shown.weekday())  # weeks start on Monday
    days = 7 if view == "week" else 1
    # The week is counts per clinician and day; the day lists each appointment with its patient.
    wk = appointments.week(app, user.actor, shown, _clinician_filter(clinician)) if view == "week" else None
    cal = None if wk else appointments.calendar(app, user.actor, shown, days, _clinician_filter(clinician))
    dates = wk.dates if wk else [shown]
    step = timedelta(days=days)
    return render(
        request,
        "calendar.html",
        cal=cal,
        week=wk,
        setup=setup,
        view=view,
        today=today,
        shown=shown,
        prev_day=shown - step,
        next_day=shown + step,
        clinician=clinician,
        can_book=allows(user.actor.role, Action.APPOINTMENT_WRITE),
        is_clinician=setup.clinician(user.actor.user_id or 0) is not None,
        status_words=rules.STATUS_WORDS,
        hours=_grid_hours(setup.hours, dates),
        # The grid's weekdays (Sunday 0, as the component counts them) on which the clinic is closed.
        closed_days=[(d + 1) % 7 for d in range(7) if not setup.hours.get(d)],
        booked=request.query_params.get("booked", ""),
    )


def _grid_hours(hours: rules.Hours, dates: list[date]) -> tuple[str, str]:
    """The time grid's first and last hour: the earliest opening to the latest closing of the days shown."""
    spans = [s for d in dates for s in hours.get(d.weekday(), ())] or [
        s for v in rules.DEFAULT_HOURS.values() for s in v
    ]
    first = min(a for a, _ in spans)
    last = max(b for _, b in spans)
    # Half an hour before opening: the grid labels its first line only from the second slot on.
    start = max(first.hour * 60 + first.minute - 30, 0)
    return f"{start // 60:02d}:{start % 60:02d}", f"{min(last.hour + (1 if last.minute else 0), 24):02d}:00"


@router.get("/calendar/events")
def calendar_events(
    app: AppDep,
    user: PageUser,
    start: Annotated[str, Query(max_length=40)],
    end: Annotated[str, Query(max_length=40)],
    clinician: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The appointments between two dates as the calendar component reads them (its `eventSources` URL)."""
    try:
        first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    except ValueError:
        raise InvalidInput("Give start and end as dates, YYYY-MM-DD.", []) from None
    days = (last - first).days
    if not 1 <= days <= 42:
        raise InvalidInput("Ask for 1 to 42 days at a time.", [])
    cal = appointments.calendar(app, user.actor, first, days, _clinician_filter(clinician))
    return JSONResponse([_event(a) for a in cal.appointments])


def _event(a: dict[str, Any]) -> dict[str, Any]:
    status = a["shown_status"]
    faded = status in (rules.Status.CANCELLED, rules.Status.NO_SHOW)
    return {
        "id": str(a["id"]),
        "resourceId": str(a["clinician_id"]),
        # Wall-clock times at the clinic, without an offset: the calendar shows them as they are.
        "start": a["local_start"].strftime("%Y-%m-%dT%H:%M:%S"),
        "end": a["local_end"].strftime("%Y-%m-%dT%H:%M:%S"),
        "title": f"{a['family_name']}, {a['given_name']} · {a['type_name']}"
        + ("" if status == rules.Status.BOOKED else f" ({rules.STATUS_WORDS[status]})"),
        "url": f"/appointments/{a['id']}",
        "color": "#8a8f98" if faded else a["colour"],
        # Only a booked appointment moves: one cancelled, missed or under way cannot be dragged at all.
        "editable": status in rules.MOVABLE,
        "startEditable": status in rules.MOVABLE,
        "classNames": [f"appt-{status.value}"],
        "extendedProps": {"version": a["version"], "status": status.value, "clinician": a["clinician_name"]},
    }


# --- booking ---


def _booking_page(
    request: Request,
    app: Any,
    user: Any,
    values: dict[str, str],
    *,
    q: str = "",
    status_code: int = 200,
    error: InvalidInput | Conflict | None = None,
) -> Response:
    setup = appointments.setup(app, user.actor)
    patient = None
    episodes: list[dict[str, Any]] = []
    if values.get("patient_id", "").isdigit():
        try:
            chart = patients.open_chart(app, user.actor, int(values["patient_id"]))
            patient, episodes = chart.patient, chart.episodes
        except NotFound:
            values.pop("patient_id")
    found = patients.search_patients(app, user.actor, patients.SearchQuery.parse(q, "")) if q and not patient else []
    return render(
        request,
        "appointment_new.html",
        status_code=status_code,
        setup=setup,
        values=values,
        patient=patient,
        episodes=episodes,
        q=q,
        found=found,
        searched=bool(q),
        summary=error.detail if error else "",
        problems={p.field: p.message for p in error.problems} if error else {},
        cautions=getattr(error, "warnings", []),
    )


@router.get("/appointments/new")
def new_appointment_page(
    request: Request,
    app: AppDep,
    user: PageUser,
    patient_id: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    at: Annotated[str, Query(max_length=25)] = "",
    clinician_id: Annotated[str, Query(max_length=10)] = "",
    type: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    require(user.actor, Action.APPOINTMENT_WRITE)
    default_clinician = str(user.actor.user_id) if user.actor.role.value in ("clinician", "owner") else ""
    if not at:  # from a chart: the next day the clinic is open, at its first hour
        setup = appointments.setup(app, user.actor)
        day = setup.next_open_day(app.clock().astimezone(setup.zone).date())
        first = min((a for a, _ in setup.hours.get(day.weekday(), ())), default=None)
        at = f"{day.isoformat()}T{first:%H:%M}" if first else f"{day.isoformat()}T09:00"
    values = {
        "patient_id": patient_id,
        "starts_at": at[:16],
        "clinician_id": clinician_id or default_clinician,
        "type": type or "follow-up",
    }
    return _booking_page(request, app, user, values, q=q)


@router.post("/appointments")
def book(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    data = {k: str(form.get(k, "")) for k in BOOKING_FIELDS}
    try:
        a = appointments.book(app, user.actor, data)
    except (InvalidInput, rules.NeedsConfirmation) as e:
        if wants_json(request):
            raise
        return _booking_page(request, app, user, data, status_code=409 if isinstance(e, Conflict) else 422, error=e)
    day = a["starts_at"].astimezone(appointments.setup(app, user.actor).zone).date()
    return RedirectResponse(f"/calendar?day={day.isoformat()}&booked={a['id']}", status_code=303)


# --- one appointment ---


def _appointment_page(
    request: Request,
    app: Any,
    user: Any,
    appointment_id: int,
    *,
    status_code: int = 200,
    error: Any = None,
    values: Any = None,
) -> Response:
    a = appointments.get_appointment(app, user.actor, appointment_id)
    setup = appointments.setup(app, user.actor)
    a["local_start"], a["local_end"] = a["starts_at"].astimezone(setup.zone), a["ends_at"].astimezone(setup.zone)
    status = rules.Status(a["status"])
    return render(
        request,
        "appointment.html",
        status_code=status_code,
        a=a,
        setup=setup,
        status=status,
        shown=a["shown_status"],
        next_steps=rules.TRANSITIONS[status],
        status_words=rules.STATUS_WORDS,
        today=app.clock().astimezone(setup.zone).date(),
        can_book=allows(user.actor.role, Action.APPOINTMENT_WRITE),
        can_visit=allows(user.actor.role, Action.VISIT_CREATE),
        movable=status in rules.MOVABLE,
        moved=request.query_params.get("moved") == "1",
        now=app.clock(),
        summary=error.detail if error else "",
        problems={p.field: p.message for p in error.problems} if error else {},
        cautions=getattr(error, "warnings", []),
        values=values or {},
    )


@router.get("/appointments/{appointment_id}")
def appointment_page(request: Request, app: AppDep, user: PageUser, appointment_id: RecordId) -> Response:
    return _appointment_page(request, app, user, appointment_id)


def _version(form: Any) -> int | None:
    raw = str(form.get("version", ""))
    return int(raw) if raw.isdigit() else None


@router.post("/appointments/{appointment_id}/move")
def move(request: Request, app: AppDep, user: PageUser, form: FormDep, appointment_id: RecordId) -> Response:
    """A move from the form, or from a drag in the calendar (which asks for JSON back)."""
    data = {k: str(form.get(k, "")) for k in ("clinician_id", "room_id", "starts_at", "note", "confirm", "type")}
    data = {k: v for k, v in data.items() if v or (k == "room_id" and "room_id" in form)}
    try:
        a = appointments.move(app, user.actor, appointment_id, data, _version(form))
    except (InvalidInput, Conflict) as e:
        if wants_json(request):
            raise
        status = 409 if isinstance(e, Conflict) else 422
        return _appointment_page(request, app, user, appointment_id, status_code=status, error=e, values=data)
    if wants_json(request):
        return JSONResponse({"id": a["id"], "version": a["version"], "starts_at": a["starts_at"].isoformat()})
    return RedirectResponse(f"/appointments/{appointment_id}?moved=1", status_code=303)


@router.post("/appointments/{appointment_id}/status")
def change_status(request: Request, app: AppDep, user: PageUser, form: FormDep, appointment_id: RecordId) -> Response:
    back = str(form.get("back", ""))
    try:
        appointments.set_status(
            app,
            user.actor,
            appointment_id,
            str(form.get("status", "")),
            reason=str(form.get("reason", "")),
            room_id=str(form.get("room_id", "")),
            if_match=_version(form),
        )
    except (InvalidInput, Conflict, StaleVersion) as e:
        # The page again with the reason typed kept (a change from another tab, a reason left out).
        status = 409 if isinstance(e, Conflict) else e.status
        values = {"reason": str(form.get("reason", ""))}
        return _appointment_page(request, app, user, appointment_id, status_code=status, error=e, values=values)
    return RedirectResponse("/today" if back == "today" else f"/appointments/{appointment_id}", status_code=303)


@router.post("/appointments/{appointment_id}/visit")
def open_visit(request: Request, app: AppDep, user: PageUser, appointment_id: RecordId) -> Response:
    try:
        visit_id = appointments.open_visit(app, user.actor, appointment_id)
    except Conflict as e:
        return _appointment_page(request, app, user, appointment_id, status_code=409, error=e)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)
