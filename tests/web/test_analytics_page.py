"""The analytics page: researchers land on it, it names no patient, and an empty period still renders."""

from __future__ import annotations

from sotchart.services.context import App
from tests import factories
from tests.support import web


def test_researcher_sees_aggregates_and_no_names(app: App) -> None:
    from sotchart.services import visits

    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Zzanalyticsname")
    e = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
    factories.signed_visit(app, c, p.id, e, app.clock().date().isoformat(), pain=5, category=1, cleared=True)
    client = web.client(app)
    web.sign_in(client, c.emails["researcher"])
    home = client.get("/")
    assert home.headers["location"] == "/analytics"
    page = client.get("/analytics")
    assert page.status_code == 200 and "Zzanalyticsname" not in page.text
    assert web.html(page).select_one("#overview dd").text.strip() == "1"
    care = [td.text.strip() for td in web.html(page).select("#clearing-care tbody td")]
    assert care[:5] == ["Pelvic blocking (SOT wedges)", "1", "1", "1", "1"]
    empty = client.get("/analytics", params={"start": "2001-01-01", "end": "2001-02-01"})
    assert empty.status_code == 200 and web.html(empty).select_one("#no-data") is not None
    bad = client.get("/analytics", params={"start": "2026-12-01", "end": "2026-01-01"})
    assert bad.status_code == 422 and "starts after it ends" in bad.text


def test_researchers_download_the_research_export(app: App) -> None:
    import io
    import zipfile

    from sotchart.services import visits

    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Zzresearchname")
    e = visits.start_episode(app, c.actor("clinician"), p.id, "Low back pain")
    factories.signed_visit(app, c, p.id, e, app.clock().date().isoformat(), pain=5, category=1, cleared=True)
    client = web.client(app)
    web.sign_in(client, c.emails["researcher"])
    page = web.html(client.get("/research"))
    assert len(page.select("#safe-harbor tbody tr")) == 18
    r = client.get("/research/export.zip")  # strict Safe Harbor unless shifted dates are asked for
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert "attachment" in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert "Zzresearchname" not in z.read("csv/visits.csv").decode() + z.read("README.txt").decode()
        header = z.read("csv/visits.csv").decode().splitlines()[0].split(",")
        assert "visit_year" in header and "visit_date" not in header  # strict Safe Harbor by default
        assert "visit_date" not in z.read("csv/visits.csv").decode().splitlines()[0]
