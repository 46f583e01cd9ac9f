"""A second clinician examines blind at the visit; examiner agreement is measured on the real visits."""

from __future__ import annotations

from datetime import timedelta

from sotchart.domain.agreement import cohen_kappa
from sotchart.services import visits
from sotchart.services.context import App
from sotchart.store.tables import examination
from tests import factories
from tests.support import web


def _exam(client, visit_id: int, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/visits/{visit_id}/second-exam", data={"csrf_token": web.csrf(client), **fields}, follow_redirects=False
    )


def test_second_examinations_give_kappa_per_indicator_and_for_the_category(app: App) -> None:
    c = factories.clinic_with_staff(app)
    today = app.clock().date()
    # The visit's own examiner found heel tension positive on the right at every visit; categories 1,1,2,3.
    own_categories = [1, 1, 2, 3]
    visit_ids = []
    for k, category in enumerate(own_categories):
        p = factories.patient(app, c, family_name=f"Blind{k}")
        ep = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
        day = (today - timedelta(days=k + 1)).isoformat()
        visit_ids.append(factories.signed_visit(app, c, p.id, ep, day, pain=5, category=category, cleared=True))
    owner = web.client(app)
    web.sign_in(owner, c.emails["owner"], app=app)

    form = web.html(owner.get(f"/visits/{visit_ids[0]}/second-exam"))
    assert form.select_one("#value-heel-tension") is not None
    # Blind: nothing of the first examination is on the page, and nothing is filled in for the examiner.
    assert form.select("#second-exam option[selected]") == []
    assert "Cat 1" not in form.text and "right" not in form.select_one(".page-head").text

    second = [("positive", "right", "1"), ("positive", "right", "2"), ("negative", "", "2"), ("positive", "left", "3")]
    for vid, (value, side, category) in zip(visit_ids, second, strict=True):
        r = _exam(
            owner,
            vid,
            **{"value:heel-tension": value, "side:heel-tension": side, "category": category, "category_side": "right"},
        )
        assert r.status_code == 303
    assert web.html(owner.get(r.headers["location"])).select_one("#saved") is not None

    page = web.html(owner.get("/analytics/agreement"))
    rows = {
        tr.select("td")[0].text.strip(): [td.text.strip() for td in tr.select("td")]
        for tr in page.select("#agreement tbody tr")
    }
    first_ratings = ["positive right"] * 4
    second_ratings = ["positive right", "positive right", "negative", "positive left"]
    expected = cohen_kappa(list(zip(first_ratings, second_ratings, strict=True)))
    heel = rows["Heel (Achilles) tension"]
    assert heel[1] == "4" and heel[3] == f"{round(expected.observed * 100)} %"
    assert heel[4] == ("—" if expected.kappa is None else f"{expected.kappa:.2f}")
    cat_expected = cohen_kappa(
        [("1 right", "1 right"), ("1 right", "2 right"), ("2 right", "2 right"), ("3 right", "3 right")]
    )
    assert rows["Category (with side)"][4] == f"{cat_expected.kappa:.2f}"


def test_the_visits_own_examiner_and_bad_input_are_refused(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    ep = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
    vid = factories.signed_visit(app, c, p.id, ep, app.clock().date().isoformat(), pain=5, category=1, cleared=True)
    own = web.client(app)
    web.sign_in(own, c.emails["clinician"])
    assert _exam(own, vid, category="1").status_code == 409
    owner = web.client(app)
    web.sign_in(owner, c.emails["owner"], app=app)
    bad = _exam(owner, vid, **{"value:heel-tension": "sideways"})
    assert bad.status_code == 422 and "not a result of heel-tension" in bad.text
    nothing = _exam(owner, vid)
    assert nothing.status_code == 422 and "Nothing was examined" in nothing.text
    with app.db.read() as conn:
        assert conn.execute(examination.select().where(examination.c.visit_id == vid)).first() is None
    empty = web.html(owner.get("/analytics/agreement"))
    assert empty.select_one("#no-agreement") is not None
