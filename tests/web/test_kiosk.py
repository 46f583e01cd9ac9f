"""The patient's tablet: a code from the desk opens a device session locked to one patient and one task; the
tablet shows nothing else of the chart, reaches no clinic page, and stores nothing until the patient sends."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

from sotchart.services import intake_review, questionnaires
from sotchart.services.context import App
from tests import factories
from tests.support import web


def _hand_over(app: App, task: str = "questionnaires", **patient):  # type: ignore[no-untyped-def]
    c = factories.clinic_with_staff(app)
    p = factories.patient(
        app, c, **({"family_name": "Kioskpatient", "given_name": "Mina", "phone": "+1 555 0177"} | patient)
    )
    staff = web.client(app)
    web.sign_in(staff, c.emails["assistant"])
    r = staff.post(f"/patients/{p.id}/kiosk", data={"csrf_token": web.csrf(staff), "task": task})
    assert r.status_code == 200
    page = web.html(r)
    code = page.select_one("#tablet-code").text.strip()
    assert len(code.replace(" ", "")) == 6
    assert page.select_one("#tablet-qr")["src"].startswith("data:image/svg+xml")
    return c, p, code, staff


def _tablet(app: App, code: str):  # type: ignore[no-untyped-def]
    tablet = web.client(app)
    assert "Your code" in tablet.get("/tablet").text
    r = tablet.post("/tablet", data={"code": code.lower()})  # typed as it comes: lower case, with its space
    assert r.status_code == 303 and r.headers["location"] == "/tablet"
    return tablet


def _key(tablet) -> str:  # type: ignore[no-untyped-def]
    return str(web.html(tablet.get("/tablet")).select_one("input[name=key]")["value"])


def test_the_patient_fills_questionnaires_and_the_session_closes(app: App) -> None:
    c, p, code, _staff = _hand_over(app)
    tablet = _tablet(app, code)
    page = tablet.get("/tablet")
    soup = web.html(page)
    assert "Hello Mina" in soup.select_one(".tablet-head").text
    assert "Kioskpatient" not in page.text and "+1 555 0177" not in page.text and soup.select_one("nav") is None
    # The tablet's view of the patient is audited, as the kiosk acting for the staff member who opened it.
    from sotchart.services import audit
    from sotchart.services.policy import Actor as PolicyActor

    seen = [e for e in audit.patient_trail(app, PolicyActor.console(c.id), p.id) if e.action == "kiosk.view"]
    assert len(seen) == 1 and seen[0].actor_label.startswith("kiosk (opened by ")
    key = _key(tablet)
    bad = tablet.post(
        "/tablet/questionnaires", data={"key": key, "nrs-pain.item.0": "7", "psfs.activity.0": "Gardening"}
    )
    assert bad.status_code == 422 and "rating" in bad.text
    ok = tablet.post(
        "/tablet/questionnaires",
        data={
            "key": key,
            "nrs-pain.item.0": "7",
            "psfs.activity.0": "Gardening",
            "psfs.rating.0": "3",
            "psfs.activity.1": "Lifting a child",
            "psfs.rating.1": "5",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/tablet?step=send"
    assert questionnaires.courses(app, c.actor("clinician"), p.id) == []  # nothing stored before Send
    sent = tablet.post("/tablet/send", data={"key": key})
    assert sent.status_code == 200 and "Thank you" in sent.text
    courses = {cr.instrument: cr for cr in questionnaires.courses(app, c.actor("clinician"), p.id)}
    assert courses["nrs-pain"].points[0]["score"] == 7 and courses["psfs"].points[0]["score"] == 4
    # The session is over: the tablet is back at the code box, and the spent code opens nothing.
    assert "Your code" in tablet.get("/tablet").text and "Mina" not in tablet.get("/tablet").text
    again = web.client(app).post("/tablet", data={"code": code})
    assert again.status_code == 422 and "not right" in again.text
    # Next time, the patient's own PSFS activities are offered to be re-rated.
    staff = web.client(app)
    web.sign_in(staff, c.emails["assistant"])
    r = staff.post(f"/patients/{p.id}/kiosk", data={"csrf_token": web.csrf(staff), "task": "questionnaires"})
    second = _tablet(app, web.html(r).select_one("#tablet-code").text)
    values = [i["value"] for i in web.html(second.get("/tablet")).select("input[name^='psfs.activity']")]
    assert values[:2] == ["Gardening", "Lifting a child"]


def test_the_tablet_reaches_no_clinic_page_and_its_staff_session_ends(app: App) -> None:
    c, p, code, staff = _hand_over(app)
    # The desk hands over its own signed-in browser: typing the code there signs the staff member out.
    r = staff.post("/tablet", data={"code": code})
    assert r.status_code == 303
    for path in ("/", "/patients", f"/patients/{p.id}", "/calendar", "/sign-in", "/api/v1/patients", "/analytics"):
        r = staff.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/tablet", path
    assert staff.post(f"/patients/{p.id}/kiosk", data={}).headers["location"] == "/tablet"
    # The staff session is ended on the server too, not only forgotten by the browser.
    assert staff.cookies.get("sotchart_session") is None
    # A second tablet cannot take the same code.
    assert web.client(app).post("/tablet", data={"code": code}).status_code == 422
    # Ended at the desk: the tablet shows that and returns to the code box, its cookie cleared.
    desk = web.client(app)
    web.sign_in(desk, c.emails["assistant"])
    session_id = None
    from sotchart.store.tables import kiosk_session

    with app.db.read() as conn:
        session_id = conn.execute(kiosk_session.select().where(kiosk_session.c.patient_id == p.id)).first().id
    assert desk.post(f"/kiosk-sessions/{session_id}/end", data={"csrf_token": web.csrf(desk)}).status_code == 303
    assert "Ended at the desk" in desk.get(f"/kiosk-sessions/{session_id}").text
    gone = staff.get("/tablet")
    assert "has ended" in gone.text and "Mina" not in gone.text
    assert staff.get("/patients").headers["location"].startswith("/sign-in")  # back in the desk's hands


def test_codes_that_are_wrong_expired_or_guessed_open_nothing(app: App) -> None:
    _c, _p, code, _staff = _hand_over(app)
    tablet = web.client(app)
    r = tablet.post("/tablet", data={"code": "abc"})
    assert r.status_code == 422 and "six letters" in r.text
    later = app.clock() + timedelta(minutes=11)
    clock = app.clock
    app.clock = lambda: later
    try:
        r = tablet.post("/tablet", data={"code": code})
        assert r.status_code == 422 and "Mina" not in r.text
    finally:
        app.clock = clock
    guesser = web.client(app, address="10.99.99.99")
    for _ in range(10):
        assert guesser.post("/tablet", data={"code": "BBBBBB"}).status_code == 422
    blocked = guesser.post("/tablet", data={"code": code})  # even the right one, after ten wrong
    assert blocked.status_code == 422 and "Too many" in blocked.text
    # A tablet post without the page's key (a form from elsewhere) changes nothing.
    fresh = _tablet(app, _hand_over(app)[2])
    assert fresh.post("/tablet/questionnaires", data={"nrs-pain.item.0": "3"}).status_code == 404


def _png(ink: bool = True) -> str:
    return "data:image/png;base64," + base64.b64encode(factories.signature_png(ink=ink)).decode()


def test_intake_history_health_questions_and_signed_consent(app: App) -> None:
    c, p, code, _staff = _hand_over(app, "intake", sex="female")
    tablet = _tablet(app, code)
    key = _key(tablet)
    steps = [li.text.strip() for li in web.html(tablet.get("/tablet")).select(".tablet-steps li")]
    assert steps == ["About you", "Health questions", "Consent", "Questionnaires", "Check and send"]
    assert tablet.post("/tablet/history", data={"key": key, "h0": "Low back pain since Monday"}).status_code == 303
    # A skipped health question is not a "no": the page says which ones need an answer, and keeps the others.
    page = web.html(tablet.get("/tablet"))
    names = sorted({i["name"] for i in page.select("input[type=radio]")})
    assert "q.pregnant" in names and "q.saddle-anaesthesia" in names
    partial = {"key": key} | {n: "no" for n in names[:-2]}
    r = tablet.post("/tablet/screen", data=partial)
    assert r.status_code == 422 and "2 questions still need an answer" in r.text
    assert len(web.html(r).select("fieldset.missing")) == 2
    assert len(web.html(r).select("input[type=radio][checked]")) == len(names) - 2
    answers = {"key": key} | {n: "no" for n in names} | {"q.saddle-anaesthesia": "yes", "q.fever": "unsure"}
    assert tablet.post("/tablet/screen", data=answers).status_code == 303
    # Consent: a blank canvas is not a signature; the tick box is needed too.
    blank = tablet.post("/tablet/consent", data={"key": key, "agree": "yes", "signature": _png(ink=False)})
    assert blank.status_code == 422 and "empty" in blank.text
    unticked = tablet.post("/tablet/consent", data={"key": key, "signature": _png()})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    assert web.html(unticked).select_one("#signature")["value"].startswith("data:image/png")  # kept for the redo
    not_png = tablet.post(
        "/tablet/consent", data={"key": key, "agree": "yes", "signature": "data:image/png;base64,aGVsbG8="}
    )
    assert not_png.status_code == 422
    assert tablet.post("/tablet/consent", data={"key": key, "agree": "yes", "signature": _png()}).status_code == 303
    # Back to an earlier page keeps what was given.
    back = web.html(tablet.get("/tablet?step=history"))
    assert back.select_one("#f-h0").text == "Low back pain since Monday"
    # A page not reached yet cannot be jumped to, and nothing is in the chart before Send.
    assert tablet.post("/tablet/send", data={"key": key}).status_code == 422
    v = factories.visit(app, c, p.id, kind="new-patient")
    assert intake_review.for_visit(app, c.actor("clinician"), v.id) == []
    assert tablet.post("/tablet/questionnaires", data={"key": key}).status_code == 303  # none answered: fine
    assert tablet.post("/tablet/send", data={"key": key}).status_code == 200
    [given] = intake_review.for_visit(app, c.actor("clinician"), v.id)
    assert given.waiting and given.has_signature and "No result is promised." in given.consent_text
    assert {(a.answer, a.flag) for a in given.flagged} == {
        ("yes", "Saddle anaesthesia or perianal sensory loss"),
        ("unsure", "Fever or chills"),
    }
    assert given.history == [("What brings you in today?", "Low back pain since Monday")]


def test_licensed_questionnaires_only_with_the_clinics_own_text(app: App, tmp_path: Path) -> None:
    _c, _p, code, _staff = _hand_over(app)
    assert web.html(_tablet(app, code).get("/tablet")).select_one("#q-ndi") is None
    text = {
        "ndi": {
            "title": "Neck (clinic's licensed copy)",
            "items": [{"text": f"Item {i}", "options": [f"o{j}" for j in range(6)]} for i in range(10)],
        }
    }
    path = tmp_path / "licensed.json"
    path.write_text(json.dumps(text))
    app.settings = app.settings.model_copy(update={"questionnaire_text_file": path})
    c, p, code, _staff = _hand_over(app)
    tablet = _tablet(app, code)
    page = web.html(tablet.get("/tablet"))
    assert page.select_one("#q-ndi") is not None and len(page.select("#q-ndi fieldset.kiosk-item")) == 10
    answers = {f"ndi.item.{i}": "2" for i in range(10)} | {"key": _key(tablet)}
    assert tablet.post("/tablet/questionnaires", data=answers).status_code == 303
    assert tablet.post("/tablet/send", data={"key": _key(tablet)}).status_code == 200
    ndi = questionnaires.courses(app, c.actor("clinician"), p.id)[0]
    assert ndi.instrument == "ndi" and ndi.points[0]["score"] == 20 and ndi.points[0]["percent"] == 40
