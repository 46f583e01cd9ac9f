"""Malformed, oversized and hostile input: a clear 4xx saying what to fix, never a 500, nothing changed."""

from __future__ import annotations

import pytest

from sotchart.services import users
from sotchart.services.context import Actor, App
from tests import factories
from tests.support import web


@pytest.fixture
def api(app: App):  # type: ignore[no-untyped-def]
    c = factories.clinic_with_staff(app)
    token = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "tests")
    client = web.client(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return c, client


def _is_problem(r, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["detail"] and "Traceback" not in r.text
    return body


def _count(client, q: str) -> int:  # type: ignore[no-untyped-def]
    return len(client.get("/api/v1/patients", params={"q": q}).json()["patients"])


GOOD = {"family_name": "Inputcheck", "given_name": "Sam", "birth_date": "1970-07-07"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birth_date": "1970-13-45"}, "birth_date"),
        ({"birth_date": "next tuesday"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"family_name": ""}, "family_name"),
        ({"sex": "robot"}, "sex"),
        ({"email": "not-an-email"}, "email"),
        ({"unexpected": "field"}, "unexpected"),
    ],
)
def test_bad_patient_fields_are_named_and_nothing_is_stored(api, change: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    _c, client = api
    body = _is_problem(client.post("/api/v1/patients", json={**GOOD, **change}), 422)
    assert field in {e["field"] for e in body["errors"]}
    assert _count(client, "inputcheck") == 0


def test_ten_megabyte_name_is_refused_before_it_is_read(api) -> None:  # type: ignore[no-untyped-def]
    _c, client = api
    body = _is_problem(client.post("/api/v1/patients", json={**GOOD, "family_name": "x" * 10_000_000}), 413)
    assert "larger than" in body["detail"]
    assert _count(client, "x") == 0


def test_ten_megabyte_form_is_refused(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    web.sign_in(client, c.emails["assistant"])
    r = client.post("/patients/new", data={**GOOD, "family_name": "x" * 10_000_000, "csrf_token": web.csrf(client)})
    assert r.status_code == 413


def test_malformed_json_and_wrong_types(api) -> None:  # type: ignore[no-untyped-def]
    _c, client = api
    _is_problem(
        client.post("/api/v1/patients", content=b"{not json", headers={"content-type": "application/json"}), 422
    )
    _is_problem(client.post("/api/v1/patients", json=[1, 2, 3]), 422)
    _is_problem(client.post("/api/v1/patients", json={**GOOD, "family_name": {"$gt": ""}}), 422)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/0",
        "/api/v1/patients/-1",
        "/api/v1/patients/abc",
        "/api/v1/patients/99999999999999999999",
        "/api/v1/visits/1%27%20OR%201=1",
    ],
)
def test_bad_ids_are_clear_errors(api, path: str) -> None:  # type: ignore[no-untyped-def]
    _c, client = api
    r = client.get(path)
    assert r.status_code in (404, 422)
    assert r.headers["content-type"].startswith("application/problem+json")


def test_sql_and_script_are_kept_as_text_and_shown_as_text(app: App) -> None:
    c = factories.clinic_with_staff(app)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    evil = '<img src=x onerror="alert(1)">'
    r = client.post(
        "/patients/new",
        data={
            "family_name": evil,
            "given_name": "Robert'); DROP TABLE patient;--",
            "birth_date": "1990-01-01",
            "csrf_token": web.csrf(client),
        },
    )
    assert r.status_code == 303
    chart = client.get(r.headers["location"])
    soup = web.html(chart)
    assert soup.select_one("img[onerror]") is None
    assert evil in soup.select_one("#patient-name").text
    search = web.html(client.get("/patients", params={"q": "<img"}))
    assert search.select_one("img[onerror]") is None
    assert evil in search.select_one("a.patient-link").text


def test_stale_if_match_is_412_and_changes_nothing(api) -> None:  # type: ignore[no-untyped-def]
    _c, client = api
    created = client.post("/api/v1/patients", json=GOOD)
    pid, etag = created.json()["id"], created.headers["etag"]
    ok = client.patch(f"/api/v1/patients/{pid}", json={"phone": "+1 555 0101"}, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = client.patch(f"/api/v1/patients/{pid}", json={"phone": "+1 555 0202"}, headers={"If-Match": etag})
    _is_problem(stale, 412)
    _is_problem(
        client.patch(f"/api/v1/patients/{pid}", json={"phone": "+1 555 0303"}, headers={"If-Match": "garbage"}), 422
    )
    assert client.get(f"/api/v1/patients/{pid}").json()["phone"] == "+1 555 0101"


def test_visit_of_another_clinic_is_a_plain_404(app: App, api) -> None:  # type: ignore[no-untyped-def]
    _c, client = api
    other = factories.clinic_with_staff(app)
    p = factories.patient(app, other)
    v = factories.visit(app, other, p.id, note="other clinic")
    body = _is_problem(client.get(f"/api/v1/visits/{v.id}"), 404)
    assert "other clinic" not in str(body)
    _is_problem(client.patch(f"/api/v1/visits/{v.id}", json={"complaint": "hijack"}, headers={"If-Match": "*"}), 404)


def test_unknown_page_is_a_finished_page_not_a_trace(app: App) -> None:
    client = web.client(app)
    r = client.get("/no/such/page", headers={"accept": "text/html"})
    assert r.status_code == 404 and "Traceback" not in r.text
    assert web.html(r).select_one("h1").text == "Not found"


def test_openapi_is_served_to_staff_and_their_scripts_only(app: App) -> None:
    c = factories.clinic_with_staff(app)
    assert web.client(app).get("/openapi.json").status_code == 401
    reader = factories.token(app, c, "researcher", scope="read")
    r = web.client(app).get("/openapi.json", headers={"Authorization": f"Bearer {reader}"})
    spec = r.json()
    assert "/api/v1/patients" in spec["paths"] and "/api/v1/visits/{visit_id}/sign" in spec["paths"]
    # It says how to authenticate, so Swagger UI offers Authorize for a script's token.
    assert (
        spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        and "If-Match" in spec["info"]["description"]
    )


def test_an_update_without_if_match_is_refused_and_changes_nothing(app: App, api) -> None:  # type: ignore[no-untyped-def]
    # Without If-Match, 93 of 100 concurrent patient updates and 88 of 100 visit updates were lost silently.
    c, client = api
    p = factories.patient(app, c)
    v = factories.charted_visit(app, c, p.id)
    updates = [
        ("PATCH", f"/api/v1/patients/{p.id}", {"phone": "+1 555 0100"}),
        ("PATCH", f"/api/v1/visits/{v.id}", {"complaint": "changed"}),
        ("PUT", f"/api/v1/visits/{v.id}/record", {"pain": 2}),
        ("POST", f"/api/v1/visits/{v.id}/sign", None),
        ("POST", f"/api/v1/visits/{v.id}/record/sign", None),
        ("POST", f"/api/v1/visits/{v.id}/entered-in-error", {"reason": "Wrong patient"}),
    ]
    before = (
        client.get(f"/api/v1/patients/{p.id}").headers["etag"],
        client.get(f"/api/v1/visits/{v.id}").headers["etag"],
    )
    for method, path, body in updates:
        body_json = _is_problem(client.request(method, path, json=body), 428)
        assert "If-Match" in body_json["detail"] and "Nothing was changed" in body_json["detail"], path
    after = (
        client.get(f"/api/v1/patients/{p.id}").headers["etag"],
        client.get(f"/api/v1/visits/{v.id}").headers["etag"],
    )
    assert after == before
    # With the ETag read, the same update goes through.
    ok = client.patch(f"/api/v1/patients/{p.id}", json={"phone": "+1 555 0100"}, headers={"If-Match": before[0]})
    assert ok.status_code == 200


def test_an_episode_number_past_the_databases_range_is_a_clear_422(app: App, api) -> None:  # type: ignore[no-untyped-def]
    c, client = api
    p = factories.patient(app, c)
    for huge in (2**63, 2**31):
        body = _is_problem(client.post(f"/api/v1/patients/{p.id}/visits", json={"episode_id": huge}), 422)
        assert "episode" in str(body).lower()


def test_a_visit_for_a_future_day_is_refused_beside_the_date_keeping_the_choices(app: App) -> None:
    from datetime import timedelta

    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    tomorrow = (app.clock().date() + timedelta(days=1)).isoformat()
    r = client.post(
        f"/patients/{p.id}/visits",
        data={
            "csrf_token": web.csrf(client),
            "kind": "new-patient",
            "visit_date": tomorrow,
            "episode_id": "new",
            "complaint": "Neck pain after a fall",
        },
    )
    assert r.status_code == 422 and "Traceback" not in r.text
    page = web.html(r)
    assert page.select_one("details#start-visit-options").has_attr("open")
    assert "future" in page.select_one("#visit-date-error").text
    assert page.select_one("input[name=visit_date]")["value"] == tomorrow
    assert page.select_one("input[name=complaint]")["value"] == "Neck pain after a fall"
    assert not charting_visits(app, c, p.id)


def charting_visits(app: App, c: factories.ClinicWithStaff, patient_id: int) -> list[object]:
    from sotchart.services import patients

    return list(patients.open_chart(app, c.actor("clinician"), patient_id, None).visits)


def test_a_record_of_the_wrong_shape_is_a_clear_422_not_a_500(app: App, api) -> None:  # type: ignore[no-untyped-def]
    """`"findings": "lots"` once reached the engine and answered 500; each part must be what it holds."""
    c, client = api
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    path = f"/api/v1/visits/{v.id}/record"
    before = client.get(path).headers["etag"]
    for record, field in (
        ({"findings": "lots"}, "findings"),
        ({"findings": [1, 2]}, "findings"),
        ({"treatment": "blocks"}, "treatment"),
        ({"treatment": {"blocks": "SOB"}}, "treatment.blocks"),
        ({"vitals": [120, 80]}, "vitals"),
        ({"history": "none"}, "history"),
    ):
        body = _is_problem(client.put(path, json=record, headers={"If-Match": before}), 422)
        assert field in {p["field"] for p in body.get("errors", [])}, (record, body)
    assert client.get(path).headers["etag"] == before


def test_a_second_visit_on_one_day_is_asked_for_over_the_api_as_on_the_screen(app: App, api) -> None:  # type: ignore[no-untyped-def]
    c, client = api
    p = factories.patient(app, c)
    first = client.post(f"/api/v1/patients/{p.id}/visits", json={"complaint": "Neck pain"})
    assert first.status_code == 201
    again = client.post(f"/api/v1/patients/{p.id}/visits", json={})
    assert again.status_code == 409 and "already has a visit" in again.text, again.text
    second = client.post(f"/api/v1/patients/{p.id}/visits", json={"second_visit_today": True})
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]
