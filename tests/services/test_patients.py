"""Registering, finding and opening patients, on both databases."""

from datetime import date

import pytest

from sotchart.domain.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from sotchart.services import patients, today
from sotchart.services.context import App
from tests import factories


def test_register_then_find_by_name_prefix_dob_and_chart_number(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="Łukasiewicz", given_name="Zofia", birth_date="1975-02-03")
    actor = c.actor("clinician")
    by_prefix = patients.search_patients(app, actor, patients.SearchQuery.parse("luka"))
    assert [x.id for x in by_prefix] == [p.id]
    by_pair = patients.search_patients(app, actor, patients.SearchQuery.parse("lukasiewicz, zo"))
    assert [x.id for x in by_pair] == [p.id]
    by_dob = patients.search_patients(app, actor, patients.SearchQuery.parse("", "1975-02-03"))
    assert p.id in [x.id for x in by_dob]
    # A US desk types the month first; a first number over 12 can only be a day.
    by_us_date = patients.search_patients(app, actor, patients.SearchQuery.parse("02/03/1975"))
    assert p.id in [x.id for x in by_us_date]
    assert p.id not in [x.id for x in patients.search_patients(app, actor, patients.SearchQuery.parse("03/02/1975"))]
    late = factories.patient(app, c, family_name="Dayfirst", birth_date="1984-03-27")
    assert late.id in [x.id for x in patients.search_patients(app, actor, patients.SearchQuery.parse("27/03/1984"))]
    by_chart = patients.search_patients(app, actor, patients.SearchQuery.parse(p.chart_number))
    assert [x.id for x in by_chart] == [p.id]
    assert patients.search_patients(app, actor, patients.SearchQuery.parse("lukz")) == []


def test_the_desk_finds_a_patient_by_phone_email_or_given_name_first(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(
        app, c, family_name="Okonkwo", given_name="Adaeze", phone="(555) 010-0142", email="Adaeze.O@Example.org"
    )
    factories.patient(app, c, family_name="Adaeze", given_name="Okonkwoson")  # the other way round
    actor = c.actor("assistant")

    def found(text: str) -> list[int]:
        return [x.id for x in patients.search_patients(app, actor, patients.SearchQuery.parse(text))]

    assert found("adaeze okonkwo")[0] == p.id  # given name first, as said at the desk
    assert p.id in found("okonkwo adaeze")
    for typed in ("0142", "010-0142", "555 010 0142", "+1 555 010 0142", "15550100142"):
        assert found(typed) == [p.id], typed
    assert found("adaeze.o@example.org") == [p.id] and found("ADAEZE.O@") == [p.id]
    assert found("9999") == []


def test_a_second_registration_by_phone_or_email_is_asked_about(app: App) -> None:
    c = factories.clinic_with_staff(app)
    first = factories.patient(app, c, family_name="Phoneone", phone="555-010-0199", email="same@example.org")
    data = {"family_name": "Phonetwo", "given_name": "Bea", "birth_date": "1990-01-01", "phone": "+1 (555) 010 0199"}
    with pytest.raises(patients.PossibleDuplicate) as e:
        patients.register_patient(app, c.actor("assistant"), data)
    assert e.value.patient_ids == [first.id] and "same phone" in e.value.detail
    with pytest.raises(patients.PossibleDuplicate, match="same email"):
        patients.register_patient(app, c.actor("assistant"), {**data, "phone": "", "email": "SAME@example.org"})
    second = patients.register_patient(app, c.actor("assistant"), {**data, "confirm_not_duplicate": "1"})
    assert second.id != first.id


def test_search_never_crosses_clinics(app: App) -> None:
    a, b = factories.clinic_with_staff(app), factories.clinic_with_staff(app)
    factories.patient(app, a, family_name="Onlyinclinica")
    assert patients.search_patients(app, b.actor("owner"), patients.SearchQuery.parse("onlyinclinica")) == []


def test_chart_of_another_clinic_is_not_found_and_the_denial_is_audited(app: App) -> None:
    a, b = factories.clinic_with_staff(app), factories.clinic_with_staff(app)
    p = factories.patient(app, a)
    with pytest.raises(NotFound):
        patients.open_chart(app, b.actor("owner"), p.id)


def test_researcher_cannot_open_a_chart(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    with pytest.raises(Forbidden):
        patients.open_chart(app, c.actor("researcher"), p.id)


def test_bad_input_names_every_field_and_stores_nothing(app: App) -> None:
    c = factories.clinic_with_staff(app)
    with pytest.raises(InvalidInput) as e:
        patients.register_patient(
            app, c.actor("assistant"), {"family_name": "", "given_name": "A", "birth_date": "31/31/2020"}
        )
    assert {p.field for p in e.value.problems} == {"birth_date"}
    with pytest.raises(InvalidInput) as e:
        patients.register_patient(
            app, c.actor("assistant"), {"family_name": "", "given_name": "A", "birth_date": "2999-01-01"}
        )
    assert {p.field for p in e.value.problems} == {"family_name", "birth_date"}
    assert patients.search_patients(app, c.actor("owner"), patients.SearchQuery.parse("", "2999-01-01")) == []


def test_update_with_a_stale_version_is_refused_and_changes_nothing(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, phone="+1 555 0100")
    updated = patients.update_patient(app, c.actor("assistant"), p.id, {"phone": "+1 555 0199"}, p.version)
    assert updated.version == p.version + 1
    with pytest.raises(StaleVersion):
        patients.update_patient(app, c.actor("assistant"), p.id, {"phone": "+1 555 0111"}, p.version)
    chart = patients.open_chart(app, c.actor("clinician"), p.id)
    assert chart.patient.phone == "+1 555 0199"


def test_chart_pages_a_long_history_without_gaps(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    for day in range(1, 121):
        factories.visit(
            app,
            c,
            p.id,
            visit_date=date(2025, 1, 1).replace(day=1).fromordinal(date(2025, 1, 1).toordinal() + day).isoformat(),
        )
    seen, cursor = [], None
    while True:
        chart = patients.open_chart(app, c.actor("clinician"), p.id, cursor)
        seen += [v["id"] for v in chart.visits]
        cursor = chart.next_cursor
        if cursor is None:
            break
    assert len(seen) == 120 == len(set(seen))
    assert chart.visit_summary["count"] == 120


def test_html_in_a_name_is_stored_as_typed(app: App) -> None:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c, family_name="<script>alert(1)</script>", given_name="'; DROP TABLE patient;--")
    chart = patients.open_chart(app, c.actor("clinician"), p.id)
    assert chart.patient.family_name == "<script>alert(1)</script>"
    assert chart.patient.given_name == "'; DROP TABLE patient;--"


def test_the_same_name_and_birth_date_asks_before_a_second_chart(app: App) -> None:
    from sotchart.services.patients import PossibleDuplicate

    c = factories.clinic_with_staff(app)
    data = {"family_name": "Doubleclick", "given_name": "Dana", "birth_date": "1975-04-02"}
    first = patients.register_patient(app, c.actor("assistant"), dict(data))
    # A double-click on Register sends the same form twice: the second is refused, naming the chart.
    with pytest.raises(PossibleDuplicate) as e:
        patients.register_patient(app, c.actor("assistant"), {**data, "given_name": " dana "})
    assert e.value.patient_ids == [first.id] and first.chart_number in e.value.detail
    assert e.value.problems[0].field == "confirm_not_duplicate"
    # A different person with the same name and birthday is registered once the desk says so.
    twin = patients.register_patient(app, c.actor("assistant"), {**data, "confirm_not_duplicate": "true"})
    assert twin.id != first.id


def test_every_patient_a_list_shows_is_in_their_own_access_trail(app: App) -> None:
    # A search showed up to 200 patients' names, birth dates and contacts but was audited as "results=N".
    from sotchart.services import audit, visits
    from sotchart.services.context import Actor

    c = factories.clinic_with_staff(app)
    shown = [factories.patient(app, c, family_name="Listwell", given_name=g) for g in ("Ann", "Bo", "Cy")]
    hidden = factories.patient(app, c, family_name="Elsewhere")
    found = patients.search_patients(app, c.actor("assistant"), patients.SearchQuery.parse("listw", ""))
    assert {p.id for p in found} == {p.id for p in shown}
    visits.create_visit(app, c.actor("clinician"), shown[0].id, {"kind": "follow-up"})
    today.the_day(app, c.actor("assistant"))

    def listed(pid: int) -> list[str]:
        return [e.detail for e in audit.patient_trail(app, Actor.console(c.id), pid) if e.action == "patient.listed"]

    assert listed(shown[0].id) == ["Today's list", "search result"]
    assert all(listed(p.id) == ["search result"] for p in shown[1:])
    assert listed(hidden.id) == []
