"""A clinic's day is in its own time zone: an evening visit in Chicago keeps that evening's date of
service, signs, and is on that day's list, although UTC has moved to the next day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sotchart.domain.errors import InvalidInput
from sotchart.services import charting, visits
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
    day = visits.today(app, c.actor("assistant"))
    assert day.day == date(2026, 12, 1) and [r["id"] for r in day.visits] == [v.id]
    # UTC's date is already 2 December, but in the clinic that is tomorrow: a visit cannot be dated then.
    with pytest.raises(InvalidInput) as e:
        visits.create_visit(app, c.actor("clinician"), p.id, {"visit_date": "2026-12-02"})
    assert e.value.problems[0].field == "visit_date" and "future" in e.value.problems[0].message


def test_an_unknown_time_zone_is_refused_with_what_to_use() -> None:
    with pytest.raises(ValueError, match="not an IANA time zone; use a name such as America/Chicago"):
        Settings(time_zone="Mars/Olympus")
