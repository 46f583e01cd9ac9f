"""A clinic's day is in its own time zone: an evening visit in Chicago keeps that evening's date of
service, signs, and is on that day's list, although UTC has moved to the next day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sotchart.domain.errors import InvalidInput
from sotchart.services import charting, today, visits
from sotchart.services.context import App
from sotchart.settings import Settings
from tests import factories
from tests.conftest import make_settings


def test_an_evening_visit_keeps_the_clinics_date(shared_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = shared_database.url.render_as_string(hide_password=False)
    app = App(settings=make_settings(url, tmp_path, time_zone="America/Chicago"), db=shared_database)
    # 8:30 pm in Chicago on 1 December is 02:30 UTC on 2 December.
    app.clock = lambda: datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = visits.create_visit(app, c.actor("clinician"), p.id, {"kind": "new-patient", "complaint": "Low back"})
    assert v.visit_date == date(2026, 12, 1)
    charting.save_record(app, c.actor("clinician"), v.id, factories.full_record(), 0)
    signed = charting.sign(app, c.actor("clinician"), v.id, None)
    assert signed.visit["status"] == "signed" and signed.visit["visit_date"] == date(2026, 12, 1)
    day = today.the_day(app, c.actor("assistant"))
    assert day.day == date(2026, 12, 1) and [r["id"] for r in day.visits] == [v.id]
    # UTC's date is already 2 December, but in the clinic that is tomorrow: a visit cannot be dated then.
    with pytest.raises(InvalidInput) as e:
        visits.create_visit(app, c.actor("clinician"), p.id, {"visit_date": "2026-12-02"})
    assert e.value.problems[0].field == "visit_date" and "future" in e.value.problems[0].message


def test_an_unknown_time_zone_is_refused_with_what_to_use() -> None:
    with pytest.raises(ValueError, match="not an IANA time zone; use a name such as America/Chicago"):
        Settings(time_zone="Mars/Olympus")


def test_the_signed_note_names_its_signer_with_credentials_npi_and_the_clinics_time(  # type: ignore[no-untyped-def]
    shared_database, tmp_path: Path
) -> None:
    from sotchart.services import users
    from sotchart.services.context import Actor

    url = shared_database.url.render_as_string(hide_password=False)
    app = App(settings=make_settings(url, tmp_path, time_zone="America/Chicago"), db=shared_database)
    app.clock = lambda: datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    c = factories.clinic_with_staff(app)
    console = Actor.console(c.id)
    # A wrong NPI check digit or credentials that are a sentence are refused, field by field; nothing changes.
    with pytest.raises(InvalidInput) as e:
        users.set_professional(app, console, c.emails["clinician"], credentials="DC; DROP", npi="1234567890")
    assert {p.field for p in e.value.problems} == {"credentials", "npi"}
    assert "check digit" in next(p.message for p in e.value.problems if p.field == "npi")
    users.set_professional(app, console, c.emails["clinician"], credentials="DC", npi="1234567893")
    p = factories.patient(app, c)
    v = visits.create_visit(app, c.actor("clinician"), p.id, {"kind": "new-patient", "complaint": "Low back"})
    charting.save_record(app, c.actor("clinician"), v.id, factories.full_record(), 0)
    note = charting.sign(app, c.actor("clinician"), v.id, None).visit["note"]
    assert note.splitlines()[-2:] == [
        "Date of service: 1 December 2026.",
        f"Electronically signed by {_name(app, c)}, DC, NPI 1234567893 on 1 December 2026 at 20:30 CST.",
    ]
    # An amendment keeps the first signature and adds who amended, when, and why.
    app.clock = lambda: datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    users.set_professional(app, console, c.emails["owner"], credentials="DC, DACBSP", npi="")
    amended = charting.amend(
        app, c.actor("owner"), v.id, factories.full_record(pain=5), "Pain was 5, not 4, as the intake shows", None
    ).visit["note"]
    assert f"Electronically signed by {_name(app, c)}, DC, NPI 1234567893 on 1 December 2026" in amended
    assert (
        amended.splitlines()[-1].startswith("Amended by ")
        and ", DC, DACBSP on 3 December 2026 at 09:00 CST" in (amended.splitlines()[-1])
    )
    assert amended.splitlines()[-1].endswith("Pain was 5, not 4, as the intake shows")
    # Each signed version names who signed it, as the note does.
    versions = charting.open_record(app, c.actor("clinician"), v.id).history
    first = charting.signed_version(app, c.actor("clinician"), v.id, versions[0]["revision"])
    assert (
        first.kind == "signed"
        and first.by == f"{_name(app, c)}, DC, NPI 1234567893"
        and first.zone == "America/Chicago"
    )


def _name(app: App, c: factories.ClinicWithStaff) -> str:
    from sotchart.services import users
    from sotchart.services.context import Actor

    return next(m.display_name for m in users.list_users(app, Actor.console(c.id)) if m.email == c.emails["clinician"])
