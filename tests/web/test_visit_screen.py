"""The visit screen over HTTP: bad entries refused with a message and nothing lost; a second person's
save is a clear conflict; one person's crossing clicks are not."""

from __future__ import annotations

from sotchart.services import charting, visits
from sotchart.services.context import App
from tests import factories
from tests.support import web


def _setup(app: App):  # type: ignore[no-untyped-def]
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    client = web.client(app)
    web.sign_in(client, c.emails["clinician"])
    return c, v, client


def _act(client, visit_id: int, rev: int, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/visits/{visit_id}/act",
        data={"csrf_token": web.csrf(client), "rev": str(rev), **fields},
        headers={"HX-Request": "true"},
    )


def test_impossible_vitals_are_refused_with_a_message_and_nothing_lost(app: App) -> None:
    _c, v, client = _setup(app)
    ok = _act(client, v.id, 0, op="vitals", systolic="128", diastolic="82", pulse="70")
    assert ok.status_code == 200
    assert web.html(ok).select_one("#bp-band").text.strip() == "stage-1"
    bad = _act(client, v.id, 1, op="vitals", systolic="420", diastolic="82", pulse="70")
    assert bad.status_code == 422
    page = web.html(bad)
    assert "vitals.systolic" in page.select_one("#missing li")["data-field"]
    assert "what a body can have" in page.select_one("#visit-message").text
    assert page.select_one("input[name=systolic]")["value"] == "128"  # the last good reading stays
    weird = _act(client, v.id, 1, op="vitals", systolic="abc", diastolic="82")
    assert weird.status_code == 422 and "whole number" in weird.text


def test_unknown_block_site_and_finding_on_a_signed_note(app: App) -> None:
    c, v, client = _setup(app)
    bad = _act(client, v.id, 0, op="add-block", site="knee", side="left")
    assert bad.status_code == 422 and "unknown block site" in bad.text
    charting.save_record(
        app,
        c.actor("clinician"),
        v.id,
        {
            "vitals": {"systolic": 120, "diastolic": 70, "pulse": 60},
            "pain": 2,
            "findings": [{"code": "tmj", "phase": "pre", "value": "negative"}],
            "note": {"S": "s", "O": "o", "A": "a", "P": "p"},
        },
        None,
    )
    rev = charting.sign(app, c.actor("clinician"), v.id, None).revision
    locked = _act(client, v.id, rev, op="finding", code="tmj", phase="pre", choice="positive|left")
    assert locked.status_code == 409 and "signed and locked" in locked.text


def test_second_person_gets_a_conflict_but_one_persons_crossing_clicks_do_not(app: App) -> None:
    c, v, client = _setup(app)
    assert _act(client, v.id, 0, op="pain", pain="5").status_code == 200
    # The same person's next click was drawn at revision 0 but lands after revision 1: applied, no conflict.
    crossed = _act(client, v.id, 0, op="finding", code="tmj", phase="pre", choice="positive|left")
    assert crossed.status_code == 200
    record = charting.open_record(app, c.actor("clinician"), v.id)
    assert record.document["pain"] == 5 and record.document["findings"][0]["code"] == "tmj"
    # Someone else saves in between: the first person's stale page is told, and nothing is overwritten.
    charting.act(app, c.actor("owner"), v.id, "pain", {"pain": "7"}, record.revision)
    stale = _act(client, v.id, record.revision, op="pain", pain="2")
    assert stale.status_code == 409 and "saved this visit" in stale.text and "Someone else" not in stale.text
    assert charting.open_record(app, c.actor("clinician"), v.id).document["pain"] == 7


def test_medicare_maintenance_care_gets_its_modifier(app: App) -> None:
    _c, v, client = _setup(app)
    _act(client, v.id, 0, op="toggle", field="spinal_regions", code="lumbar")
    r = _act(client, v.id, 1, op="payer", payer="medicare", care_type="maintenance")
    assert "98940-GZ" in web.html(r).select_one("#codes").text
    r = _act(client, v.id, 2, op="payer", payer="medicare", care_type="maintenance", abn_on_file="true")
    assert "98940-GA" in web.html(r).select_one("#codes").text
    # Active care is AT only with PART met in the treated region.
    r = _act(client, v.id, 3, op="payer", payer="medicare", care_type="active")
    assert "98940-AT" not in web.html(r).select_one("#codes").text
    _act(client, v.id, 4, op="finding", code="part-pain", phase="pre", value="positive", region="lumbar", level="L4")
    r = _act(client, v.id, 5, op="finding", code="part-rom", phase="pre", value="positive", region="lumbar", level="L4")
    assert "98940-AT" in web.html(r).select_one("#codes").text


def test_chart_timeline_shows_category_indicators_pain_and_the_trend(app: App) -> None:
    c, v, client = _setup(app)
    for visit_id, pain in ((v.id, 7), (factories.visit(app, c, v.patient_id).id, 4)):
        charting.save_record(
            app,
            c.actor("clinician"),
            visit_id,
            {
                "vitals": {"systolic": 120, "diastolic": 70, "pulse": 60},
                "pain": pain,
                "findings": [
                    {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right"},
                    {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right"},
                    {"code": "heel-tension", "phase": "post", "value": "negative"},
                    {"code": "leg-length-prone", "phase": "post", "value": "short", "side": "right"},
                ],
                "confirmed_category": {"category": 1, "side": "right"},
                "note": {"S": "s", "O": "o", "A": "a", "P": "p"},
            },
            None,
        )
    page = web.html(client.get(f"/patients/{v.patient_id}"))
    first = page.select_one("#visit-rows tr")
    cells = [td.text.strip() for td in first.select("td")]
    assert "Cat 1 right" in cells and "2 → 1" in cells and "4" in cells
    assert page.select_one("#chart-pain title").text.startswith("Pain from 7 on")
    assert len(page.select("#chart-indicators g.pair")) == 2
    assert page.select_one("#chart-categories rect.cat-1 title").text.endswith("Category 1 right")
    # The charts are kept between openings of the chart; a visit recorded since is drawn at once.
    third = factories.visit(app, c, v.patient_id).id
    charting.save_record(app, c.actor("clinician"), third, {"pain": 2}, None)
    again = web.html(client.get(f"/patients/{v.patient_id}"))
    assert " to 2 on " in again.select_one("#chart-pain title").text
    assert len(again.select("#chart-pain circle")) == 3


def test_secondary_diagnoses(app: App) -> None:
    _c, v, client = _setup(app)
    r = _act(client, v.id, 0, op="diagnosis", code="m54.50")
    assert r.status_code == 200 and "M54.50" in web.html(r).select_one("#secondary").text
    deleted = _act(client, v.id, 1, op="diagnosis", code="M54.5")
    assert deleted.status_code == 422 and "deleted on 1 October 2021" in deleted.text
    junk = _act(client, v.id, 1, op="diagnosis", code="back pain")
    assert junk.status_code == 422 and "not an ICD-10-CM code" in junk.text
    gone = _act(client, v.id, 1, op="remove-diagnosis", code="M54.50")
    assert "M54.50" not in web.html(gone).select_one("#secondary").text


def test_record_over_the_json_api(app: App) -> None:
    from sotchart.services import users
    from sotchart.services.context import Actor

    c, v, _client = _setup(app)
    token = users.issue_token(app, Actor.console(c.id), c.emails["clinician"], "record")
    api = web.client(app)
    api.headers["Authorization"] = f"Bearer {token}"
    first = api.get(f"/api/v1/visits/{v.id}/record")
    # One visit, one ETag: the record's route and the visit's route answer the same version.
    assert first.status_code == 200 and first.headers["etag"] == api.get(f"/api/v1/visits/{v.id}").headers["etag"]
    assert first.json()["id"] == v.id and first.json()["revision"] == 0
    tag = first.headers["etag"]
    assert {p["field"] for p in first.json()["sign_problems"]} >= {"vitals", "pain"}
    # Both sign routes go through the one writer: nothing charted, nothing signed, and it says what is missing.
    plain = api.post(f"/api/v1/visits/{v.id}/sign", headers={"If-Match": tag})
    assert plain.status_code == 422 and "vitals" in {e["field"] for e in plain.json()["errors"]}
    record = {
        "vitals": {"systolic": 122, "diastolic": 76, "pulse": 66},
        "pain": 3,
        "findings": [{"code": "tmj", "phase": "pre", "value": "negative"}],
        "note": {"S": "s", "O": "o", "A": "a", "P": "p"},
    }
    saved = api.put(f"/api/v1/visits/{v.id}/record", json=record, headers={"If-Match": tag})
    assert saved.status_code == 200 and saved.json()["revision"] == 1
    assert saved.headers["etag"] != tag
    stale = api.put(f"/api/v1/visits/{v.id}/record", json=record, headers={"If-Match": tag})
    assert stale.status_code == 412 and "nothing of yours was saved" in stale.json()["detail"]
    # The details route takes the same ETag: a record saved since makes it stale there too.
    assert api.patch(f"/api/v1/visits/{v.id}", json={"complaint": "x"}, headers={"If-Match": tag}).status_code == 412
    # The note lives in the record only: the details route refuses one, saying where it goes.
    second_note = api.patch(f"/api/v1/visits/{v.id}", json={"note": "another note"}, headers={"If-Match": "*"})
    assert second_note.status_code == 422 and second_note.json()["errors"][0]["field"] == "note"
    assert "/record" in second_note.json()["errors"][0]["message"]
    tag = saved.headers["etag"]
    bad = api.put(
        f"/api/v1/visits/{v.id}/record",
        json={**record, "vitals": {"systolic": 500, "diastolic": 70}},
        headers={"If-Match": tag},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "vitals.systolic"
    assert api.get(f"/api/v1/visits/{v.id}").headers["etag"] == tag, "a refused save changes nothing"
    signed = api.post(f"/api/v1/visits/{v.id}/record/sign", headers={"If-Match": tag})
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    assert signed.headers["etag"] == api.get(f"/api/v1/visits/{v.id}").headers["etag"]
    assert signed.json()["note"] == api.get(f"/api/v1/visits/{v.id}").json()["note"]


def test_outcomes_on_the_chart(app: App) -> None:
    from sotchart.services import questionnaires

    c, v, client = _setup(app)
    questionnaires.record(app, c.actor("assistant"), v.patient_id, "ndi", [3] * 10, answered_on="2026-09-01")
    questionnaires.record(app, c.actor("assistant"), v.patient_id, "ndi", [1] * 10)
    row = web.html(client.get(f"/patients/{v.patient_id}")).select_one("#outcomes tbody tr")
    cells = [td.text.strip() for td in row.select("td")]
    assert cells[0] == "Neck Disability Index" and cells[1] == "2" and cells[3] == "-40" and cells[4] == "reached"


def test_an_amendment_corrects_a_side_and_a_code_and_each_version_opens_with_its_diff(app: App) -> None:
    c, v, client = _setup(app)
    charting.save_record(app, c.actor("clinician"), v.id, factories.full_record(), 0)
    signed = charting.sign(app, c.actor("clinician"), v.id, None)
    page = web.html(client.get(f"/visits/{v.id}"))
    assert page.select_one("#amend-category-side option[selected]").text == "right"
    heel = next(i for i, f in enumerate(signed.document["findings"]) if f["code"] == "heel-tension")
    form = {
        "csrf_token": web.csrf(client),
        "rev": str(signed.revision),
        "reason": "Side charted wrong: the heel tension and the category were left",
        "category": "1",
        "category_side": "left",
        f"side.{heel}": "left",
        "diagnoses": "M54.50",
        "spinal_regions.sent": "1",
        "spinal_regions": "pelvic",
        "extraspinal_regions.sent": "1",
    }
    r = client.post(f"/visits/{v.id}/amend", data=form)
    assert r.status_code in (200, 303)
    amended = charting.open_record(app, c.actor("clinician"), v.id)
    assert amended.visit["status"] == "amended" and amended.document["confirmed_category"]["side"] == "left"
    assert amended.document["diagnoses"] == [{"code": "M54.50"}]
    versions = [h["revision"] for h in amended.history]
    diff = web.html(client.get(f"/visits/{v.id}/versions/{versions[-1]}"))
    removed = [li.text for li in diff.select("#diff li.removed")]
    added = [li.text for li in diff.select("#diff li.added")]
    assert any("Category: 1 right" in x for x in removed) and any("Category: 1 left" in x for x in added)
    assert any("M54.50" in x for x in added)
    # The version as first signed is still there, unchanged.
    first = web.html(client.get(f"/visits/{v.id}/versions/{versions[0]}"))
    assert "Category: 1 right" in first.select_one("#record-lines").text
    # The page's footer is the product's, never a dump of the version with the patient's details in it.
    assert "SignedVersion(" not in first.text and first.select_one("footer").text.strip().startswith("sotchart 0.")
    # A code that is not ICD-10-CM is refused beside its field, and nothing is signed.
    typed = {**form, "diagnoses": "M54.5", "rev": str(amended.revision), "P": "Home exercises given; walk daily."}
    bad = client.post(f"/visits/{v.id}/amend", data=typed)
    assert bad.status_code == 422 and "diagnoses" in bad.text
    assert charting.open_record(app, c.actor("clinician"), v.id).revision == amended.revision
    # The form comes back open with everything typed, and what to fix inside it, not only at the page's top.
    page = web.html(bad)
    assert page.select_one("details#amend").has_attr("open") and page.select_one("#amend-error") is not None
    assert page.select_one("#amend-P").text == "Home exercises given; walk daily."
    assert page.select_one("#amend-reason")["value"] == form["reason"]
    assert page.select_one("#amend-diagnoses")["value"] == "M54.5"
    assert page.select_one("#amend-category-side option[selected]").text == "left"


def test_category_two_is_blocked_supine_and_the_summary_says_so(app: App) -> None:
    c, v, client = _setup(app)
    _act(client, v.id, 0, op="confirm-category", category="2", side="left")
    # No sourced template for Category II: the position comes from its source (supine), and can be set.
    page = web.html(_act(client, v.id, 1, op="add-block", site="asis", side="left"))
    assert page.select_one("select[name=position] option[selected]").text == "supine"
    _act(client, v.id, 2, op="position", position="supine")
    record = charting.open_record(app, c.actor("clinician"), v.id)
    assert record.document["treatment"]["position"] == "supine"
    bad = _act(client, v.id, record.revision, op="position", position="sideways")
    assert bad.status_code == 422 and "prone, supine or seated" in bad.text


def test_the_signed_note_names_its_signer_and_can_be_marked_entered_in_error(app: App) -> None:
    c, v, client = _setup(app)
    charting.save_record(app, c.actor("clinician"), v.id, factories.full_record(), 0)
    charting.sign(app, c.actor("clinician"), v.id, None)
    page = web.html(client.get(f"/visits/{v.id}"))
    assert page.select_one("#signed-by").text.startswith("Clinician ")
    # The screen shows the signature block as it was signed: the date of service and who signed, when.
    block = page.select_one("#signature").text
    assert "Date of service: " in block and "Electronically signed by Clinician " in block
    assert page.select_one("#signed-intake") is not None
    form = page.select_one("#entered-in-error form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")} | {
        "reason": "Charted on the wrong patient"
    }
    r = client.post(form["action"], data=data)
    assert r.status_code in (200, 303)
    after = web.html(client.get(f"/visits/{v.id}"))
    assert "Charted on the wrong patient" in after.select_one("#eie-note").text


def test_the_charts_alerts_are_shown_where_the_screen_is_taken(app: App) -> None:
    from sotchart.services import patients

    c, v, client = _setup(app)
    patients.add_alert(app, c.actor("assistant"), v.patient_id, "safety", "Anticoagulant therapy (warfarin)")
    page = web.html(client.get(f"/visits/{v.id}"))
    assert "warfarin" in page.select_one("#chart-alerts").text
    assert "warfarin" in page.select_one("#patient-banner").text


def test_a_late_entry_says_so_and_keeps_its_episodes_complaint(app: App) -> None:
    from datetime import timedelta

    c, _v, client = _setup(app)
    p = factories.patient(app, c)
    episode = visits.start_episode(app, c.actor("clinician"), p.id, "Neck pain after a fall")
    earlier = (app.clock().date() - timedelta(days=2)).isoformat()
    r = client.post(
        f"/patients/{p.id}/visits",
        data={"csrf_token": web.csrf(client), "kind": "follow-up", "visit_date": earlier, "episode_id": str(episode)},
    )
    assert r.status_code == 303
    late_id = int(r.headers["location"].rsplit("/", 1)[-1])
    page = web.html(client.get(f"/visits/{late_id}"))
    assert "Late entry" in page.select_one("#late-entry").text
    assert page.select_one("#visit-complaint").text == "Neck pain after a fall"
    charting.save_record(app, c.actor("clinician"), late_id, factories.full_record(), 0)
    note = charting.sign(app, c.actor("clinician"), late_id, None).visit["note"]
    assert "(late entry, written " in next(line for line in note.splitlines() if line.startswith("Date of service: "))


def test_an_amendment_takes_off_a_block_and_corrects_the_cmrt_levels(app: App) -> None:
    # A block nobody placed and a wrong CMRT level stayed in the structured record after the text was fixed.
    c, v, client = _setup(app)
    record = factories.full_record()
    record["treatment"] |= {"cmrt": [{"level": "T8", "map": ""}, {"level": "T9", "map": ""}]}
    charting.save_record(app, c.actor("clinician"), v.id, record, 0)
    signed = charting.sign(app, c.actor("clinician"), v.id, None)
    page = web.html(client.get(f"/visits/{v.id}"))
    data = web.form_values(page.select_one("details#amend form"))
    data["keep_block"] = ["0"]  # the second block (greater trochanter) was charted by mistake
    data["cmrt"] = "T8"
    data["reason"] = "The trochanter block and T9 were charted by mistake"
    r = client.post(f"/visits/{v.id}/amend", data=data)
    assert r.status_code in (200, 303), r.text[:500]
    t = charting.open_record(app, c.actor("clinician"), v.id).document["treatment"]
    assert t["blocks"] == [signed.document["treatment"]["blocks"][0]]
    assert [x["level"] for x in t["cmrt"]] == ["T8"]
    bad = client.post(f"/visits/{v.id}/amend", data={**data, "cmrt": "X99", "rev": str(signed.revision + 1)})
    assert bad.status_code == 422 and "not a vertebra" in bad.text
