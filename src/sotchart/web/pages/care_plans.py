"""The care plan's pages: setting the cadence of an episode's care, and booking its series in one go."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from sotchart.domain import care_plans as rules
from sotchart.domain.appointments import NeedsConfirmation
from sotchart.domain.errors import InvalidInput
from sotchart.domain.roles import Action
from sotchart.services import appointments, care_plans, patients
from sotchart.services.context import require
from sotchart.web.deps import AppDep, FormDep, PageUser, RecordId
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)


def _plan_page(
    request: Request,
    app: Any,
    user: Any,
    patient_id: int,
    values: dict[str, str],
    error: Any = None,
    status_code: int = 200,
) -> Response:
    chart = patients.open_chart(app, user.actor, patient_id)
    return render(
        request,
        "care_plan.html",
        status_code=status_code,
        chart=chart,
        plan=care_plans.active_plan(app, user.actor, patient_id),
        values=values,
        summary=error.detail if error else "",
        problems={p.field: p.message for p in error.problems} if error else {},
    )


@router.get("/patients/{patient_id}/care-plan")
def care_plan_page(request: Request, app: AppDep, user: PageUser, patient_id: RecordId) -> Response:
    require(user.actor, Action.CARE_PLAN_WRITE)
    plan = care_plans.active_plan(app, user.actor, patient_id)
    written = plan.frequency if plan else care_plans.written_frequency(app, user.actor, patient_id)
    values = {
        "frequency": written,
        "reexam_every": str(plan.cadence.reexam_every or "") if plan else str(rules.REEXAM_EVERY_DEFAULT),
        # A changed cadence keeps counting from the plan's start; a first plan starts today.
        "start_date": plan.start_date.isoformat()
        if plan
        else app.clock().astimezone(appointments.setup(app, user.actor).zone).date().isoformat(),
    }
    return _plan_page(request, app, user, patient_id, values)


@router.post("/patients/{patient_id}/care-plan")
def set_care_plan(request: Request, app: AppDep, user: PageUser, form: FormDep, patient_id: RecordId) -> Response:
    values = {k: str(form.get(k, "")) for k in ("frequency", "reexam_every", "start_date", "episode_id", "complaint")}
    try:
        plan = care_plans.set_plan(app, user.actor, patient_id, values)
    except InvalidInput as e:
        return _plan_page(request, app, user, patient_id, values, e, status_code=422)
    return RedirectResponse(f"/care-plans/{plan.id}/series", status_code=303)


@router.get("/care-plans/{plan_id}/series")
def series_page(
    request: Request,
    app: AppDep,
    user: PageUser,
    plan_id: RecordId,
    first_date: Annotated[str, Query(max_length=10)] = "",
    time: Annotated[str, Query(max_length=5)] = "",
    clinician_id: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The series proposed at once from sensible defaults (the next day the clinic is open, 09:00, the
    clinician booking it), so booking a plan takes a click; each date and time can be changed first."""
    require(user.actor, Action.APPOINTMENT_WRITE)
    setup = appointments.setup(app, user.actor)
    today = app.clock().astimezone(setup.zone).date()
    if not first_date:
        nxt = setup.next_open_day(today)
        first_date = nxt.isoformat()
    mine = next((c for c in setup.clinicians if c.id == user.actor.user_id), None)
    form = {
        "first_date": first_date,
        "time": time or "09:00",
        "clinician_id": clinician_id
        or (str(mine.id) if mine else str(setup.clinicians[0].id) if setup.clinicians else ""),
    }
    return _series(request, app, user, plan_id, form)


def _series(
    request: Request, app: Any, user: Any, plan_id: int, form: dict[str, str], error: Any = None, status_code: int = 200
) -> Response:
    problems = {p.field: p.message for p in error.problems} if error else {}
    try:
        plan, proposed = care_plans.propose_series(app, user.actor, plan_id, form)
    except InvalidInput as e:
        plan, proposed = None, []
        problems |= {p.field: p.message for p in e.problems}
    if plan is None:
        plan = care_plans.plan_by_id(app, user.actor, plan_id)
    chart = patients.open_chart(app, user.actor, plan.patient_id)
    return render(
        request,
        "care_plan_series.html",
        status_code=status_code if not problems or error else 422,
        chart=chart,
        plan=plan,
        proposed=proposed,
        form=form,
        setup=appointments.setup(app, user.actor),
        summary=error.detail if error else "",
        problems=problems,
        cautions=getattr(error, "warnings", []),
    )


@router.post("/care-plans/{plan_id}/series")
def book_series(request: Request, app: AppDep, user: PageUser, form: FormDep, plan_id: RecordId) -> Response:
    data = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    try:
        care_plans.book_series(app, user.actor, plan_id, data)
    except (InvalidInput, NeedsConfirmation) as e:
        keep = {k: data.get(k, "") for k in ("first_date", "time", "clinician_id")}
        return _series(
            request, app, user, plan_id, keep, e, status_code=409 if isinstance(e, NeedsConfirmation) else 422
        )
    plan = care_plans.plan_by_id(app, user.actor, plan_id)
    return RedirectResponse(f"/patients/{plan.patient_id}?series=booked#schedule", status_code=303)
