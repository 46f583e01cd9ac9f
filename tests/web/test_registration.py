"""The front desk registers what a clinic needs beside the name (preferred name, emergency contact,
referring provider) and the patient's insurance on the chart; bad insurance input says what to fix and
saves nothing; ended cover is kept."""

from __future__ import annotations

from sotchart.services.context import App
from tests import factories
from tests.support import web


def test_registration_and_insurance_at_the_desk(app: App) -> None:
    c = factories.clinic_with_staff(app)
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"], app=app)
    form = web.form_values(web.html(desk.get("/patients/new")).select_one("form"))
    form |= {"family_name": "Registerwell", "given_name": "Elizabeth", "birth_date": "1985-04-12"}
    form |= {"preferred_name": "Liz", "emergency_name": "Sam Registerwell", "emergency_phone": "555 010 0177"}
    form |= {"emergency_relationship": "spouse", "referring_provider": "Dr Ames, Harbour Medical"}
    r = desk.post("/patients/new", data=form)
    assert r.status_code == 303
    chart_url = r.headers["location"]
    chart = web.html(desk.get(chart_url))
    assert "“Liz”" in chart.select_one("#preferred-name").text
    assert "Sam Registerwell (spouse) ☎ 555 010 0177" in chart.select_one("#emergency-contact").text
    assert chart.select_one("#no-coverage") is not None
    token = web.csrf(desk)
    bad = desk.post(
        chart_url + "/coverage",
        data={"csrf_token": token, "payer_name": "Acme Health", "relationship": "spouse", "end_date": "nonsense"},
    )
    assert bad.status_code == 422
    page = web.html(bad)
    assert page.select_one("#cov-member_id-error") and page.select_one("#cov-subscriber_name-error")
    assert page.select_one("#payer_name")["value"] == "Acme Health"  # what was typed stays
    assert page.select_one("#no-coverage") is not None  # nothing saved
    good = {"csrf_token": token, "payer_name": "Acme Health", "member_id": "XG123456", "group_number": "G-77"}
    good |= {"relationship": "spouse", "subscriber_name": "Sam Registerwell", "subscriber_birth_date": "1983-01-30"}
    assert desk.post(chart_url + "/coverage", data=good).status_code == 303
    items = web.html(desk.get(chart_url)).select("#coverage-list li")
    assert len(items) == 1 and "Primary: Acme Health · member XG123456 · group G-77" in items[0].text
    end = items[0].select_one("form")
    assert desk.post(str(end["action"]), data=web.form_values(end)).status_code == 303
    assert "earlier cover has ended" in web.html(desk.get(chart_url)).select_one("#no-coverage").text


def test_the_desk_lists_who_is_in_care_and_who_has_not_been_seen(app: App) -> None:
    from datetime import timedelta

    c = factories.clinic_with_staff(app)
    planned = factories.patient(app, c, family_name="Inplanner")
    factories.care_plan(app, c, planned.id)
    gone = factories.patient(app, c, family_name="Longgone")
    when = (app.clock() - timedelta(weeks=10)).date().isoformat()
    factories.visit(app, c, gone.id, visit_date=when)
    recent = factories.patient(app, c, family_name="Seenlately")
    factories.visit(app, c, recent.id)
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"], app=app)

    def names(url: str) -> list[str]:
        return [a.text.split(",")[0] for a in web.html(desk.get(url)).select("a.patient-link")]

    assert names("/patients?list=in-care") == ["Inplanner"]
    assert names("/patients?list=lapsed&weeks=8") == ["Longgone"]
    assert names("/patients?list=lapsed&weeks=12") == []
    page = web.html(desk.get("/patients?list=lapsed&weeks=8"))
    assert page.select("table.results tbody td")[-1].text != "none yet"
    assert desk.get("/patients?list=everyone").status_code == 422


def test_the_desk_changes_a_patients_details_and_bad_input_changes_nothing(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Moved", given_name="Mara", phone="+1 555 0100")
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"])
    page = web.html(desk.get(f"/patients/{p.id}/edit"))
    assert page.select_one("#phone")["value"] == "+1 555 0100"
    values = {i["name"]: i.get("value", "") for i in page.select("form.card-form input") if i.get("name")}
    values["address"] = "12 New Street, Port Lewis"
    bad = desk.post(f"/patients/{p.id}/edit", data=values | {"birth_date": "2999-01-01"})
    assert bad.status_code == 422 and web.html(bad).select_one("#birth_date-error") is not None
    assert web.html(bad).select_one("#address").text == "12 New Street, Port Lewis"  # what was typed stays
    assert "12 New Street" not in desk.get(f"/patients/{p.id}").text
    ok = desk.post(f"/patients/{p.id}/edit", data=values | {"phone": "+1 555 0199"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/patients/{p.id}"
    chart = desk.get(f"/patients/{p.id}").text
    assert "12 New Street, Port Lewis" in chart and "+1 555 0199" in chart
    # Sent again from the old page (its version is gone): refused, with what was typed still there.
    stale = desk.post(f"/patients/{p.id}/edit", data=values | {"phone": "+1 555 0111"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert web.html(stale).select_one("#phone")["value"] == "+1 555 0111"


def test_oconnell_finds_o_connell_typed_either_way(app: App) -> None:
    c = factories.clinic_with_staff(app)
    factories.patient(app, c, family_name="O'Connell", given_name="Siobhan")
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"])
    for typed in ("oconnell", "O'Connell", "o’conn"):
        assert "Siobhan" in desk.get("/patients", params={"q": typed}).text, typed
