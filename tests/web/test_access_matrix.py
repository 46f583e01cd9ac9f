"""Every route × every role × two clinics: a user of one clinic never sees or changes another's records,
and each role gets exactly what the policy table allows. A route missing from ROUTES fails the test, so
a new route cannot skip the matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.routing import APIRoute

from sotchart.domain.roles import Action, Role, allows
from sotchart.services import coverage, intake_review, kiosk, patients, users, visits
from sotchart.services.context import App
from sotchart.web.app import create_app
from tests import factories
from tests.support import web

# (method, path) → (the action it needs, or None for any signed-in user / public, a request body)
ALERT = {"kind": "safety", "text": "matrix alert"}
ROUTES: dict[tuple[str, str], tuple[Action | None, dict | None]] = {
    ("GET", "/api/v1/me"): (None, None),
    ("GET", "/openapi.json"): (None, None),  # the API's description, for the signed-in and their scripts
    ("GET", "/api/docs"): (None, None),
    ("GET", "/tokens"): (Action.USER_MANAGE, None),
    ("POST", "/tokens"): (
        Action.USER_MANAGE,
        {"email": "nobody@x.test", "name": "matrix", "scope": "read", "days": "1"},
    ),
    ("POST", "/tokens/{token_id}/revoke"): (Action.USER_MANAGE, {}),
    ("GET", "/staff"): (Action.USER_MANAGE, None),
    ("POST", "/staff"): (Action.USER_MANAGE, {"email": "bad"}),
    ("POST", "/staff/{user_id}/role"): (Action.USER_MANAGE, {"role": "researcher"}),
    ("POST", "/staff/{user_id}/lock"): (Action.USER_MANAGE, {}),
    ("POST", "/staff/{user_id}/unlock"): (Action.USER_MANAGE, {}),
    ("POST", "/staff/{user_id}/reset-mfa"): (Action.USER_MANAGE, {}),
    ("POST", "/staff/{user_id}/professional"): (Action.USER_MANAGE, {"credentials": "DC"}),
    ("GET", "/account"): (Action.OWN_ACCOUNT, None),
    ("POST", "/account/recovery-codes"): (Action.OWN_ACCOUNT, {"code": ""}),
    ("GET", "/api/v1/patients"): (Action.PATIENT_SEARCH, None),
    ("POST", "/api/v1/patients"): (
        Action.PATIENT_CREATE,
        {"family_name": "Matrixnew", "given_name": "A", "birth_date": "1990-01-01"},
    ),
    ("GET", "/api/v1/patients/{patient_id}"): (Action.PATIENT_READ, None),
    ("PATCH", "/api/v1/patients/{patient_id}"): (Action.PATIENT_UPDATE, {"phone": "+1 555 0000"}),
    ("POST", "/api/v1/patients/{patient_id}/alerts"): (Action.PATIENT_UPDATE, ALERT),
    ("POST", "/api/v1/patients/{patient_id}/episodes"): (Action.EPISODE_WRITE, {"complaint": "matrix"}),
    ("GET", "/api/v1/patients/{patient_id}/visits"): (Action.PATIENT_READ, None),
    ("POST", "/api/v1/patients/{patient_id}/visits"): (Action.VISIT_CREATE, {"complaint": "matrix"}),
    ("GET", "/api/v1/visits/{visit_id}"): (Action.PATIENT_READ, None),
    ("PATCH", "/api/v1/visits/{visit_id}"): (Action.VISIT_UPDATE, {"complaint": "matrix"}),
    ("POST", "/api/v1/visits/{visit_id}/sign"): (Action.VISIT_SIGN, None),
    ("POST", "/api/v1/visits/{visit_id}/entered-in-error"): (Action.VISIT_MARK_IN_ERROR, {"reason": "matrix"}),
    ("GET", "/api/v1/visits/{visit_id}/record"): (Action.PATIENT_READ, None),
    ("PUT", "/api/v1/visits/{visit_id}/record"): (Action.VISIT_UPDATE, {"pain": 4}),
    ("POST", "/api/v1/visits/{visit_id}/record/sign"): (Action.VISIT_SIGN, None),
    ("POST", "/api/v1/patients/{patient_id}/questionnaires"): (
        Action.PATIENT_UPDATE,
        {"instrument": "nrs-pain", "answers": [6]},
    ),
    ("GET", "/api/v1/patients/{patient_id}/questionnaires"): (Action.PATIENT_READ, None),
    ("POST", "/patients/{patient_id}/kiosk"): (Action.PATIENT_UPDATE, {}),
    ("GET", "/patients/{patient_id}/edit"): (Action.PATIENT_UPDATE, None),
    ("POST", "/patients/{patient_id}/edit"): (Action.PATIENT_UPDATE, {"phone": "x"}),
    ("GET", "/kiosk-sessions/{session_id}"): (Action.PATIENT_READ, None),
    ("POST", "/kiosk-sessions/{session_id}/code"): (Action.PATIENT_UPDATE, {}),
    ("POST", "/kiosk-sessions/{session_id}/end"): (Action.PATIENT_UPDATE, {}),
    ("GET", "/intakes/{intake_id}/signature.png"): (Action.PATIENT_READ, None),
    ("POST", "/visits/{visit_id}/take-intake"): (Action.VISIT_UPDATE, {"intake_id": "{intake_id}"}),
    ("POST", "/api/v1/assessments"): (Action.ASSESS, {"vitals": {"systolic": 120, "diastolic": 70}}),
    ("GET", "/"): (None, None),
    ("GET", "/today"): (Action.PATIENT_SEARCH, None),
    ("GET", "/analytics"): (Action.ANALYTICS_READ, None),
    ("GET", "/analytics/agreement"): (Action.ANALYTICS_READ, None),
    ("GET", "/research"): (Action.DEIDENTIFIED_READ, None),
    ("GET", "/research/export.zip"): (Action.DEIDENTIFIED_READ, None),
    ("GET", "/patients/{patient_id}/export.zip"): (Action.EXPORT, None),
    ("GET", "/fhir/{kind}/{rid}"): (Action.PATIENT_READ, None),
    ("GET", "/fhir/{kind}"): (Action.PATIENT_READ, None),
    ("GET", "/fhir/Patient/{rid}/$everything"): (Action.PATIENT_READ, None),
    ("GET", "/visits/{visit_id}/second-exam"): (Action.VISIT_UPDATE, None),
    ("POST", "/visits/{visit_id}/second-exam"): (Action.VISIT_UPDATE, {"category": "1"}),
    ("GET", "/visits/{visit_id}/summary.pdf"): (Action.PATIENT_READ, None),
    ("GET", "/visits/{visit_id}/referral.pdf"): (Action.PATIENT_READ, None),
    ("GET", "/visits/{visit_id}/superbill.pdf"): (Action.PATIENT_READ, None),
    ("GET", "/patients/{patient_id}/progress.pdf"): (Action.PATIENT_READ, None),
    ("GET", "/patients"): (Action.PATIENT_SEARCH, None),
    ("GET", "/patients/new"): (Action.PATIENT_CREATE, None),
    ("POST", "/patients/new"): (
        Action.PATIENT_CREATE,
        {"family_name": "Matrixpage", "given_name": "A", "birth_date": "1990-01-01"},
    ),
    ("GET", "/patients/{patient_id}"): (Action.PATIENT_READ, None),
    ("POST", "/patients/{patient_id}/alerts"): (Action.PATIENT_UPDATE, ALERT),
    ("POST", "/patients/{patient_id}/visits"): (Action.VISIT_CREATE, {"kind": "follow-up"}),
    ("GET", "/visits/{visit_id}"): (Action.PATIENT_READ, None),
    ("GET", "/visits/{visit_id}/versions/{revision}"): (Action.PATIENT_READ, None),
    ("POST", "/visits/{visit_id}/act"): (Action.VISIT_UPDATE, {"op": "pain", "pain": "4"}),
    ("POST", "/visits/{visit_id}/override"): (Action.VISIT_SIGN, {"reason": "Matrix override reason text"}),
    ("POST", "/visits/{visit_id}/referral"): (Action.VISIT_SIGN, {"to": "GP", "reason": "matrix"}),
    ("POST", "/visits/{visit_id}/sign"): (Action.VISIT_SIGN, {}),
    ("POST", "/visits/{visit_id}/amend"): (Action.VISIT_SIGN, {"reason": "matrix"}),
    ("POST", "/visits/{visit_id}/entered-in-error"): (Action.VISIT_MARK_IN_ERROR, {"reason": "matrix"}),
    ("GET", "/calendar"): (Action.CALENDAR_READ, None),
    ("GET", "/calendar/events"): (Action.CALENDAR_READ, None),
    ("GET", "/appointments/new"): (Action.APPOINTMENT_WRITE, None),
    ("POST", "/appointments"): (Action.APPOINTMENT_WRITE, {"clinician_id": "0", "starts_at": "2099-01-05T10:00"}),
    ("GET", "/appointments/{appointment_id}"): (Action.CALENDAR_READ, None),
    ("POST", "/appointments/{appointment_id}/move"): (Action.APPOINTMENT_WRITE, {"starts_at": "2099-01-05T10:00"}),
    ("POST", "/appointments/{appointment_id}/status"): (Action.APPOINTMENT_WRITE, {"status": "arrived"}),
    ("POST", "/appointments/{appointment_id}/visit"): (Action.VISIT_CREATE, {}),
    ("GET", "/patients/{patient_id}/care-plan"): (Action.CARE_PLAN_WRITE, None),
    ("POST", "/patients/{patient_id}/care-plan"): (Action.CARE_PLAN_WRITE, {"frequency": "2 a week for 2 weeks"}),
    ("GET", "/care-plans/{plan_id}/series"): (Action.APPOINTMENT_WRITE, None),
    ("POST", "/care-plans/{plan_id}/series"): (Action.APPOINTMENT_WRITE, {}),
    ("GET", "/settings"): (Action.CLINIC_SETTINGS, None),
    ("POST", "/settings/clinic"): (Action.CLINIC_SETTINGS, {"time_zone": "UTC"}),
    ("POST", "/settings/rooms"): (Action.CLINIC_SETTINGS, {"room": ""}),
    ("POST", "/settings/mail"): (Action.CLINIC_SETTINGS, {"host": ""}),
    ("POST", "/settings/mail/test"): (Action.CLINIC_SETTINGS, {"to": "x"}),
    ("GET", "/calendar/feed"): (Action.CALENDAR_READ, None),
    ("POST", "/calendar/feed"): (Action.CALENDAR_READ, {}),
    ("POST", "/calendar/feed/stop"): (Action.CALENDAR_READ, {}),
    ("POST", "/patients/{patient_id}/coverage"): (Action.PATIENT_UPDATE, {"payer_name": ""}),
    ("POST", "/patients/{patient_id}/coverage/{coverage_id}/end"): (Action.PATIENT_UPDATE, {}),
    ("POST", "/sign-out"): (None, {}),
}
PUBLIC = {
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("GET", "/sign-in/code"),
    ("POST", "/sign-in/code"),
    ("GET", "/sign-in/enroll"),
    ("POST", "/sign-in/enroll"),
    ("GET", "/healthz"),
    ("GET", "/favicon.ico"),
    ("GET", "/calendar/feed/{token}.ics"),  # the unguessable address is the key; test_calendar_feed_and_settings
    # The patient's tablet: the code typed and then the device cookie are the key (tests/web/test_kiosk.py).
    ("GET", "/tablet"),
    ("POST", "/tablet"),
    ("POST", "/tablet/{step}"),
    ("POST", "/tablet/send"),
    ("GET", "/fhir/metadata"),  # the capability statement names no record
}
ROLES = ("owner", "clinician", "assistant", "researcher")
TOKEN_ID = 0
APPOINTMENT_ID = 0
PLAN_ID = 0
COVERAGE_ID = 0
KIOSK_ID = ""
INTAKE_ID = 0
USER_ID = 0  # a researcher's account of clinic A that the staff routes change (not one the matrix signs in as)
SECRET_NAME = "Zzmatrixsecret"


def all_routes(app: App) -> set[tuple[str, str]]:
    found = set()
    for r in web.routes(create_app(app.settings, app_handle=app)):
        if isinstance(r, APIRoute) or hasattr(r, "methods"):
            for m in getattr(r, "methods", set()) - {"HEAD", "OPTIONS"}:
                found.add((m, r.path))
    return found


def test_every_route_is_in_the_matrix(app: App) -> None:
    missing = all_routes(app) - set(ROUTES) - PUBLIC
    assert not missing, f"add these routes to the access matrix: {sorted(missing)}"


@pytest.fixture
def two_clinics(app: App):  # type: ignore[no-untyped-def]
    a, b = factories.clinic_with_staff(app), factories.clinic_with_staff(app)
    p = factories.patient(app, a, family_name=SECRET_NAME, given_name="Hidden")
    v = factories.visit(app, a, p.id, note="secret note text")
    global APPOINTMENT_ID, PLAN_ID  # clinic A's, for the calendar's routes
    APPOINTMENT_ID = factories.appointment(app, a, p.id)["id"]
    PLAN_ID = factories.care_plan(app, a, p.id).id
    global COVERAGE_ID
    COVERAGE_ID = coverage.add_coverage(app, a.actor("assistant"), p.id, {"payer_name": "Matrix", "member_id": "M1"})
    global KIOSK_ID, INTAKE_ID  # a tablet handed over, and an intake given on one
    factories.tablet_intake(app, a, p.id)
    KIOSK_ID = kiosk.open_tablet(app, a.actor("assistant"), p.id, "questionnaires").session_id
    INTAKE_ID = intake_review.for_visit(app, a.actor("owner"), v.id)[0].id
    global USER_ID
    USER_ID = users.add_user(
        app,
        a.actor("owner"),
        email=f"victim-{a.id}@x.test",
        display_name="Matrix Victim",
        role="researcher",
        password="matrix-victim-password",
    ).id
    global TOKEN_ID  # a script token of clinic A's, for the revoke route
    token = factories.token(app, a, "assistant", "matrix-victim", scope="read")
    TOKEN_ID = next(t.id for t in users.list_tokens(app, a.actor("owner")) if t.name == "matrix-victim")
    assert token
    return a, b, p, v


def _clients(app: App, clinic: factories.ClinicWithStaff) -> dict[str, dict]:
    out = {}
    for role in ROLES:
        page_client = web.client(app)
        web.sign_in(page_client, clinic.emails[role], app=app)
        # A code is good once: the owner's sign-in and two tokens take three half-minutes' codes.
        reader = _token_later(app, 1, clinic, role, "read")
        token = _token_later(app, 2, clinic, role, "write")
        out[role] = {"page": page_client, "token": token, "read_token": reader}
    return out


def _token_later(app: App, steps: int, clinic: factories.ClinicWithStaff, role: str, scope: str) -> str:
    """A token made with the clock `steps` half-minutes ahead, then put back."""
    clock = app.clock
    at = clock() + timedelta(seconds=30 * steps)
    app.clock = lambda: at
    try:
        return factories.token(app, clinic, role, f"matrix-{scope}", scope=scope, steps_ahead=0)
    finally:
        app.clock = clock


def _call(entry: dict, method: str, path: str, body: dict | None):  # type: ignore[no-untyped-def]
    if path.startswith("/api/"):
        # Updates must say which version they change (428 otherwise); "*" lets the matrix test the right alone.
        headers = {"Authorization": f"Bearer {entry['token']}"} | ({"If-Match": "*"} if method != "GET" else {})
        return entry["page"].request(method, path, json=body if method != "GET" else None, headers=headers)
    client = entry["page"]
    if method == "GET":
        return client.get(path)
    token = web.html(client.get("/patients")).select_one("input[name=csrf_token]")
    data = {k: str(INTAKE_ID) if v == "{intake_id}" else v for k, v in (body or {}).items()}
    if token is not None:
        data["csrf_token"] = str(token["value"])
    return client.post(path, data=data)


def _fill(path: str, patient_id: int, visit_id: int) -> str:
    # FHIR routes: read the patient, search their encounters, and $everything, by FHIR id.
    path = path.replace("/fhir/{kind}/{rid}", "/fhir/Patient/{rid}")
    path = path.replace("/fhir/{kind}", f"/fhir/Encounter?patient=p{patient_id}").replace("{rid}", f"p{patient_id}")
    path = path.replace("{revision}", "1").replace("{token_id}", str(TOKEN_ID))
    path = path.replace("{appointment_id}", str(APPOINTMENT_ID)).replace("{plan_id}", str(PLAN_ID))
    path = path.replace("{coverage_id}", str(COVERAGE_ID))
    path = path.replace("{user_id}", str(USER_ID))
    path = path.replace("{session_id}", KIOSK_ID).replace("{intake_id}", str(INTAKE_ID))
    if path == "/calendar/events":
        path += "?start=2026-12-07&end=2026-12-14"
    return path.replace("{patient_id}", str(patient_id)).replace("{visit_id}", str(visit_id))


def test_no_route_lets_another_clinic_see_or_change_a_record(app: App, two_clinics) -> None:  # type: ignore[no-untyped-def]
    a, b, p, v = two_clinics
    before = patients.open_chart(app, a.actor("owner"), p.id)
    intruders = _clients(app, b)
    for (method, path), (_action, body) in ROUTES.items():
        if "{" not in path:
            continue
        for role, entry in intruders.items():
            r = _call(entry, method, _fill(path, p.id, v.id), body)
            assert r.status_code in (403, 404), f"{role} of clinic B got {r.status_code} on {method} {path}"
            assert SECRET_NAME not in r.text and "secret note text" not in r.text
    # Searches and listings of clinic B never show clinic A's patient.
    for role, entry in intruders.items():
        for url in ("/api/v1/patients?q=zzmatrix", "/patients?q=zzmatrix"):
            r = _call(entry, "GET", url, None)
            assert SECRET_NAME not in r.text, f"{role} of clinic B found clinic A's patient via {url}"
    after = patients.open_chart(app, a.actor("owner"), p.id)
    assert after.patient.version == before.patient.version and after.alerts == before.alerts
    assert after.visit_summary == before.visit_summary
    assert visits.get_visit(app, a.actor("owner"), v.id).status == "draft"


def test_each_role_gets_what_the_policy_allows_in_its_own_clinic(app: App, two_clinics) -> None:  # type: ignore[no-untyped-def]
    a, _b, p, _v = two_clinics
    staff = _clients(app, a)
    for (method, path), (action, body) in ROUTES.items():
        if path == "/sign-out":
            continue
        for role, entry in staff.items():
            # A fresh draft per call, so signing or withdrawing one does not change the next call's answer.
            v = factories.visit(app, a, p.id, note="matrix note")
            r = _call(entry, method, _fill(path, p.id, v.id), body)
            expected = action is None or allows(Role(role), action)
            if expected:
                # 409/422: past the authorization layer, then refused for the record's state or the input
                # (signing an empty draft, amending an unsigned note).
                assert r.status_code in (200, 201, 303, 409, 422), (
                    f"{role} should be allowed {method} {path}: {r.status_code}"
                )
                if r.status_code == 303:
                    assert not r.headers["location"].startswith("/sign-in")
            else:
                assert r.status_code == 403, f"{role} should be refused {method} {path}: {r.status_code}"
                assert SECRET_NAME not in r.text


def test_a_read_token_reads_what_its_role_may_and_changes_nothing(app: App, two_clinics) -> None:  # type: ignore[no-untyped-def]
    from sotchart.domain.roles import READ_ACTIONS

    a, _b, p, _v = two_clinics
    staff = _clients(app, a)
    for (method, path), (action, body) in ROUTES.items():
        if not path.startswith("/api/"):
            continue
        for role, entry in staff.items():
            v = factories.visit(app, a, p.id, note="matrix note")
            r = _call({**entry, "token": entry["read_token"]}, method, _fill(path, p.id, v.id), body)
            allowed = action is None or (allows(Role(role), action) and action in READ_ACTIONS)
            if allowed:
                assert r.status_code in (200, 201, 409, 422), f"{role} read token: {method} {path}: {r.status_code}"
            else:
                assert r.status_code == 403, f"{role} read token should be refused {method} {path}: {r.status_code}"
                if allows(Role(role), action):
                    assert "may only read" in r.text


def test_signed_out_callers_get_nothing(app: App, two_clinics) -> None:  # type: ignore[no-untyped-def]
    _a, _b, p, v = two_clinics
    anon = web.client(app)
    for (method, path), (_action, body) in ROUTES.items():
        url = _fill(path, p.id, v.id)
        r = (
            anon.request(method, url, json=body)
            if path.startswith("/api/")
            else (anon.get(url) if method == "GET" else anon.post(url, data=body or {}))
        )
        assert r.status_code in (401, 303, 403), f"anonymous got {r.status_code} on {method} {path}"
        if r.status_code == 303:
            assert r.headers["location"].startswith("/sign-in")
        assert SECRET_NAME not in r.text
