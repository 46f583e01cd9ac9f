"""The questionnaire kiosk: the link records one patient's answers, shows nothing else, and closes after use."""

from __future__ import annotations

import json
from pathlib import Path

from sotchart.services import questionnaires
from sotchart.services.context import App
from tests import factories
from tests.support import web


def _open(app: App):  # type: ignore[no-untyped-def]
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Kioskpatient", given_name="Mina", phone="+1 555 0177")
    staff = web.client(app)
    web.sign_in(staff, c.emails["assistant"])
    r = staff.post(f"/patients/{p.id}/kiosk", data={"csrf_token": web.csrf(staff)})
    assert r.status_code == 303
    return c, p, r.headers["location"]


def test_patient_fills_nrs_and_psfs_and_the_link_closes(app: App) -> None:
    c, p, link = _open(app)
    tablet = web.client(app)  # no staff session on the tablet
    page = tablet.get(link)
    assert page.status_code == 200
    soup = web.html(page)
    assert soup.select_one("h1").text == "Hello Mina"
    assert "Kioskpatient" not in page.text and "+1 555 0177" not in page.text and soup.select_one("nav") is None
    # The tablet's view of the patient is audited, as the kiosk acting for the staff member who opened it.
    from sotchart.services import audit
    from sotchart.services.policy import Actor as PolicyActor

    seen = [e for e in audit.patient_trail(app, PolicyActor.console(c.id), p.id) if e.action == "kiosk.view"]
    assert len(seen) == 1 and seen[0].actor_label.startswith("kiosk (opened by ")
    bad = tablet.post(link, data={"nrs-pain.item.0": "7", "psfs.activity.0": "Gardening"})
    assert bad.status_code == 422 and "rating" in bad.text
    assert questionnaires.courses(app, c.actor("clinician"), p.id) == []  # nothing stored half-way
    ok = tablet.post(
        link,
        data={
            "nrs-pain.item.0": "7",
            "psfs.activity.0": "Gardening",
            "psfs.rating.0": "3",
            "psfs.activity.1": "Lifting a child",
            "psfs.rating.1": "5",
        },
    )
    assert ok.status_code == 200 and "Thank you" in ok.text
    courses = {cr.instrument: cr for cr in questionnaires.courses(app, c.actor("clinician"), p.id)}
    assert courses["nrs-pain"].points[0]["score"] == 7 and courses["psfs"].points[0]["score"] == 4
    assert tablet.get(link).status_code == 404  # used once
    assert tablet.post(link, data={"nrs-pain.item.0": "2"}).status_code == 404
    # Next time, the patient's own PSFS activities are offered to be re-rated.
    staff = web.client(app)
    web.sign_in(staff, c.emails["assistant"])
    again = staff.post(f"/patients/{p.id}/kiosk", data={"csrf_token": web.csrf(staff)}).headers["location"]
    values = [i["value"] for i in web.html(web.client(app).get(again)).select("input[name^='psfs.activity']")]
    assert values[:2] == ["Gardening", "Lifting a child"]


def test_unknown_or_expired_links_show_nothing(app: App) -> None:
    from datetime import timedelta

    _c, _p, link = _open(app)
    assert web.client(app).get("/kiosk/not-a-real-token-at-all").status_code == 404
    later = app.clock() + timedelta(minutes=app.settings.kiosk_minutes + 1)
    app.clock = lambda: later
    r = web.client(app).get(link)
    assert r.status_code == 404 and "Mina" not in r.text


def test_licensed_questionnaires_only_with_the_clinics_own_text(app: App, tmp_path: Path) -> None:
    _c, _p, link = _open(app)
    assert web.html(web.client(app).get(link)).select_one("#q-ndi") is None
    text = {
        "ndi": {
            "title": "Neck (clinic's licensed copy)",
            "items": [{"text": f"Item {i}", "options": [f"o{j}" for j in range(6)]} for i in range(10)],
        }
    }
    path = tmp_path / "licensed.json"
    path.write_text(json.dumps(text))
    app.settings = app.settings.model_copy(update={"questionnaire_text_file": path})
    c, p, link = _open(app)
    page = web.html(web.client(app).get(link))
    assert page.select_one("#q-ndi") is not None and len(page.select("#q-ndi fieldset.kiosk-item")) == 10
    answers = {f"ndi.item.{i}": "2" for i in range(10)}
    assert web.client(app).post(link, data=answers).status_code == 200
    ndi = questionnaires.courses(app, c.actor("clinician"), p.id)[0]
    assert ndi.instrument == "ndi" and ndi.points[0]["score"] == 20 and ndi.points[0]["percent"] == 40
