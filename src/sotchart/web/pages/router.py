"""Routes of the HTML pages: sign-in, patient search, registration, the chart and the visit."""

from __future__ import annotations

import io
import secrets
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sotchart.domain.appointments import STATUS_WORDS
from sotchart.domain.coverage import LIMITS as COVERAGE_FIELDS
from sotchart.domain.coverage import PRIORITIES, RELATIONSHIPS
from sotchart.domain.errors import InvalidInput, NotSignedIn, StaleVersion
from sotchart.domain.patients import ALERT_KINDS, SEXES
from sotchart.domain.roles import Action, allows
from sotchart.services import auth, care_plans, coverage, patients, visits
from sotchart.services import today as today_service
from sotchart.services.context import App, require
from sotchart.web.deps import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    AppDep,
    FormDep,
    PageUser,
    RecordId,
    check_csrf,
    client_address,
    session_user,
)
from sotchart.web.pages import fragments
from sotchart.web.pages.render import render

router = APIRouter(include_in_schema=False)


def _local(next_path: str) -> str:
    path = unquote(next_path or "/")
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    app = request.app.state.sotchart
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=app.settings.secure_cookies,
        # No Max-Age: the cookie ends when the browser closes. The server ends the session itself after
        # `session_idle_minutes` idle or `session_max_hours` in all (12 h, NIST SP 800-63B §4.2.3 at AAL2).
        path="/",
    )


# --- sign-in ---


def _sign_in_again(request: Request, error: str, *, email: str = "", next: str = "/") -> Response:
    """The sign-in form with why the last step failed, and a new pre-session token."""
    pre = secrets.token_urlsafe(24)
    resp = render(
        request, "sign_in.html", status_code=401, next=_local(next), pre_token=pre, error=error, email=email, user=None
    )
    resp.set_cookie(PRE_SESSION_COOKIE, pre, httponly=True, samesite="strict", max_age=3600, path="/sign-in")
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/sign-in")
def sign_in_page(request: Request, next: Annotated[str, Query(max_length=500)] = "/") -> Response:
    pre = secrets.token_urlsafe(24)
    resp = render(request, "sign_in.html", next=_local(next), pre_token=pre, error="", email="", user=None)
    resp.set_cookie(PRE_SESSION_COOKIE, pre, httponly=True, samesite="strict", max_age=3600, path="/sign-in")
    return resp


@router.post("/sign-in")
def sign_in(
    request: Request,
    app: AppDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    pre_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    check_csrf(request, request.cookies.get(PRE_SESSION_COOKIE, "") or "-", pre_token)
    try:
        session = auth.sign_in(app, email, password, client_address(request))
    except NotSignedIn as e:
        return _sign_in_again(request, e.detail, email=email, next=next)
    target = {"verify": "/sign-in/code", "enroll": "/sign-in/enroll"}.get(session.mfa, _local(next))
    done = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, done, session.token)
    done.delete_cookie(PRE_SESSION_COOKIE, path="/sign-in")
    return done


def _pending(request: Request) -> auth.SessionUser:
    su = session_user(request)
    if su is None:
        raise NotSignedIn("Your sign-in has ended. Sign in again.")
    return su


@router.get("/sign-in/code")
def code_page(request: Request) -> Response:
    su = session_user(request)
    if su is None:
        return RedirectResponse("/sign-in", status_code=303)
    return render(request, "mfa_code.html", user=None, error="")


@router.post("/sign-in/code")
def code_submit(
    request: Request,
    app: AppDep,
    code: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    su = _pending(request)
    check_csrf(request, su.csrf_token, csrf_token)
    enrolling = su.mfa == "enroll"
    try:
        accepted = auth.check_code(app, request.cookies.get(SESSION_COOKIE, ""), code, client_address(request))
    except NotSignedIn as e:
        return _sign_in_again(request, e.detail)
    except InvalidInput as e:
        if enrolling:
            return _enroll_page(request, app, e.problems[0].message, status_code=422)
        return render(request, "mfa_code.html", status_code=422, user=None, error=e.problems[0].message)
    if accepted.recovery_codes:
        # Shown once, now: only their hashes are kept.
        return render(request, "mfa_recovery.html", user=None, codes=accepted.recovery_codes, used=False)
    if accepted.used_recovery_code:
        return render(request, "mfa_recovery.html", user=None, codes=[], used=True)
    return RedirectResponse("/", status_code=303)


@router.get("/sign-in/enroll")
def enroll_page(request: Request, app: AppDep) -> Response:
    su = session_user(request)
    if su is None:
        return RedirectResponse("/sign-in", status_code=303)
    return _enroll_page(request, app, "")


def _enroll_page(request: Request, app: App, error: str, status_code: int = 200) -> Response:
    try:
        secret, uri = auth.begin_enrollment(app, request.cookies.get(SESSION_COOKIE, ""))
    except NotSignedIn as e:
        return _sign_in_again(request, e.detail)
    import segno  # loaded when someone sets up a second factor, not in every worker (11 MB)

    buf = io.BytesIO()
    segno.make(uri, error="m").save(buf, kind="svg", scale=4, xmldecl=False, svgns=True, title="Code to scan")
    return render(
        request,
        "mfa_enroll.html",
        status_code=status_code,
        user=None,
        secret=secret,
        qr_svg=buf.getvalue().decode(),
        error=error,
    )


@router.post("/sign-in/enroll")
def enroll_submit(
    request: Request,
    app: AppDep,
    code: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    return code_submit(request, app, code, csrf_token)


@router.post("/sign-out")
def sign_out(request: Request, app: AppDep, user: PageUser) -> Response:
    auth.sign_out(app, request.cookies.get(SESSION_COOKIE), client_address(request))
    resp = RedirectResponse("/sign-in", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


# --- patients ---


@router.get("/")
def home(user: PageUser) -> Response:
    if allows(user.actor.role, Action.PATIENT_SEARCH):
        return RedirectResponse("/today", status_code=303)
    return RedirectResponse("/analytics", status_code=303)  # researchers: aggregates, no patient named


@router.get("/today")
def today(request: Request, app: AppDep, user: PageUser, mine: Annotated[str, Query(max_length=1)] = "") -> Response:
    only = user.actor.user_id if mine == "1" else None
    return render(
        request,
        "today.html",
        day=today_service.the_day(app, user.actor, clinician_id=only),
        mine=only is not None,
        can_examine=allows(user.actor.role, Action.VISIT_UPDATE),
        can_book=allows(user.actor.role, Action.APPOINTMENT_WRITE),
        can_visit=allows(user.actor.role, Action.VISIT_CREATE),
        can_hand_over=allows(user.actor.role, Action.PATIENT_UPDATE),
    )


@router.get("/patients")
def patient_search(
    request: Request,
    app: AppDep,
    user: PageUser,
    q: Annotated[str, Query(max_length=200)] = "",
    birth_date: Annotated[str, Query(max_length=10)] = "",
    which: Annotated[str, Query(alias="list", max_length=20)] = "",
    weeks: Annotated[int, Query(ge=1, le=520)] = 4,
) -> Response:
    listed = patients.patient_list(app, user.actor, which, weeks) if which and not (q or birth_date) else None
    query = patients.SearchQuery.parse(q, birth_date)
    found = [p for p, _ in listed] if listed is not None else patients.search_patients(app, user.actor, query)
    template = "_patient_results.html" if request.headers.get("hx-request") else "patients.html"
    return render(
        request,
        template,
        q=q,
        birth_date=birth_date,
        found=found,
        last_visits={p.id: last for p, last in listed} if listed is not None else None,
        chosen_list=which if listed is not None else "",
        lists=patients.LISTS,
        weeks=weeks,
        searched=bool(q or birth_date or listed is not None),
        can_register=allows(user.actor.role, Action.PATIENT_CREATE),
    )


@router.get("/patients/new")
def new_patient_page(request: Request, user: PageUser) -> Response:
    require(user.actor, Action.PATIENT_CREATE)
    return render(request, "patient_new.html", values={}, problems={}, sexes=SEXES)


@router.post("/patients/new")
def new_patient(request: Request, app: AppDep, user: PageUser, form: FormDep) -> Response:
    data = {k: str(form.get(k, "")) for k in (*patients.DETAIL_FIELDS, "confirm_not_duplicate")}
    try:
        p = patients.register_patient(app, user.actor, data)
    except InvalidInput as e:
        return render(
            request,
            "patient_new.html",
            status_code=422,
            values=data,
            problems={pr.field: pr.message for pr in e.problems},
            sexes=SEXES,
            summary=e.detail,
            duplicates=getattr(e, "patient_ids", []),
        )
    return RedirectResponse(f"/patients/{p.id}", status_code=303)


@router.get("/patients/{patient_id}/edit")
def edit_patient_page(request: Request, app: AppDep, user: PageUser, patient_id: RecordId) -> Response:
    require(user.actor, Action.PATIENT_UPDATE)
    p = patients.open_chart(app, user.actor, patient_id, with_outcomes=False).patient
    values = {k: str(getattr(p, k) or "") for k in patients.DETAIL_FIELDS}
    return render(request, "patient_new.html", values=values, problems={}, sexes=SEXES, editing=p)


@router.post("/patients/{patient_id}/edit")
def edit_patient(request: Request, app: AppDep, user: PageUser, form: FormDep, patient_id: RecordId) -> Response:
    data = {k: str(form.get(k, "")) for k in patients.DETAIL_FIELDS}
    raw = str(form.get("version") or "")
    try:
        patients.update_patient(app, user.actor, patient_id, data, int(raw) if raw.isdigit() else None)
    except (InvalidInput, StaleVersion) as e:
        current = patients.open_chart(app, user.actor, patient_id, with_outcomes=False).patient
        return render(
            request,
            "patient_new.html",
            status_code=409 if isinstance(e, StaleVersion) else 422,
            values=data,
            problems={pr.field: pr.message for pr in getattr(e, "problems", [])},
            sexes=SEXES,
            summary=e.detail,
            # After someone else's change, the form is sent against the version now stored: what was typed
            # is kept on screen, and sending it again saves it over theirs knowingly.
            editing=current,
        )
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.get("/patients/{patient_id}")
def chart(
    request: Request,
    app: AppDep,
    user: PageUser,
    patient_id: RecordId,
    before: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    more = bool(request.headers.get("hx-request") and before)
    c = patients.open_chart(app, user.actor, patient_id, before, with_outcomes=not more)
    if more:
        return render(request, "_visit_rows.html", chart=c)
    return _chart_page(request, app, user, c)


def _chart_page(
    request: Request,
    app: App,
    user: Any,
    c: Any,
    *,
    status_code: int = 200,
    start_error: InvalidInput | None = None,
    start_form: dict[str, str] | None = None,
    coverage_error: InvalidInput | None = None,
    coverage_form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "chart.html",
        status_code=status_code,
        start_error=start_error,
        start_problems={pr.field: pr.message for pr in start_error.problems} if start_error else {},
        start_form=start_form or {},
        coverage_problems={pr.field: pr.message for pr in coverage_error.problems} if coverage_error else {},
        coverage_form=coverage_form or {},
        priorities=PRIORITIES,
        relationships=RELATIONSHIPS,
        chart=c,
        outcomes=c.outcomes,
        progress_charts=fragments.progress_charts(
            c.progress, c.outcomes, c.goals, reload=app.settings.environment != "production"
        ),
        alert_kinds=ALERT_KINDS,
        schedule=care_plans.schedule(app, user.actor, c.patient.id)
        if allows(user.actor.role, Action.CALENDAR_READ)
        else None,
        series_booked=request.query_params.get("series") == "booked",
        status_words=STATUS_WORDS,
        can_book=allows(user.actor.role, Action.APPOINTMENT_WRITE),
        can_plan=allows(user.actor.role, Action.CARE_PLAN_WRITE),
        can_edit=allows(user.actor.role, Action.PATIENT_UPDATE),
        can_visit=allows(user.actor.role, Action.VISIT_CREATE),
        can_export=allows(user.actor.role, Action.EXPORT),
    )


@router.post("/patients/{patient_id}/alerts")
def add_alert(request: Request, app: AppDep, user: PageUser, form: FormDep, patient_id: RecordId) -> Response:
    patients.add_alert(app, user.actor, patient_id, str(form.get("kind", "")), str(form.get("text", "")))
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.post("/patients/{patient_id}/coverage")
def add_coverage(request: Request, app: AppDep, user: PageUser, form: FormDep, patient_id: RecordId) -> Response:
    fields = (*COVERAGE_FIELDS, "priority", "relationship", "subscriber_birth_date", "start_date", "end_date")
    data = {k: str(form.get(k, "")) for k in fields}
    try:
        coverage.add_coverage(app, user.actor, patient_id, data)
    except InvalidInput as e:
        c = patients.open_chart(app, user.actor, patient_id, None, with_outcomes=True)
        return _chart_page(request, app, user, c, status_code=422, coverage_error=e, coverage_form=data)
    return RedirectResponse(f"/patients/{patient_id}#insurance", status_code=303)


@router.post("/patients/{patient_id}/coverage/{coverage_id}/end")
def end_coverage(
    request: Request, app: AppDep, user: PageUser, patient_id: RecordId, coverage_id: RecordId
) -> Response:
    coverage.end_coverage(app, user.actor, patient_id, coverage_id)
    return RedirectResponse(f"/patients/{patient_id}#insurance", status_code=303)


@router.post("/patients/{patient_id}/visits")
def start_visit(request: Request, app: AppDep, user: PageUser, form: FormDep, patient_id: RecordId) -> Response:
    """Open the day's visit: in the patient's latest episode unless another (or a new one) is chosen; a
    second click, or a visit already open that day, opens that visit instead of adding one."""
    data = {k: str(form.get(k, "")) for k in ("kind", "complaint", "visit_date", "episode_id", "second_visit_today")}
    data = {k: v for k, v in data.items() if v}
    data.setdefault("kind", "follow-up")
    try:
        v = visits.create_visit(app, user.actor, patient_id, data)
    except visits.VisitExists as e:
        return RedirectResponse(f"/visits/{e.visit_id}?opened=existing", status_code=303)
    except InvalidInput as e:
        # The chart again, with the options open, what was chosen kept, and what to fix beside its field.
        c = patients.open_chart(app, user.actor, patient_id, None, with_outcomes=True)
        return _chart_page(request, app, user, c, status_code=422, start_error=e, start_form=data)
    return RedirectResponse(f"/visits/{v.id}", status_code=303)


@router.get("/favicon.ico")
def favicon() -> Response:
    return HTMLResponse("", status_code=204)
