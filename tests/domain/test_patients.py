"""Patient details are checked field by field, naming each field to fix."""

from datetime import date

import pytest

from sotchart.domain.errors import InvalidInput
from sotchart.domain.patients import PatientDetails, check_details, search_key

TODAY = date(2026, 11, 25)


def details(**kw: object) -> PatientDetails:
    base: dict[str, object] = {"family_name": "Müller", "given_name": "Jo", "birth_date": date(1980, 1, 2)}
    base.update(kw)
    return PatientDetails(**base)  # type: ignore[arg-type]


def test_valid_details_pass() -> None:
    check_details(details(), TODAY)


def test_future_birth_date_and_empty_name_are_both_reported() -> None:
    with pytest.raises(InvalidInput) as e:
        check_details(details(birth_date=date(2030, 1, 1), family_name=" "), TODAY)
    fields = {p.field for p in e.value.problems}
    assert fields == {"birth_date", "family_name"}


def test_oversized_name_is_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        check_details(details(given_name="x" * 101), TODAY)
    assert e.value.problems[0].field == "given_name"


def test_search_key_folds_case_and_accents() -> None:
    assert search_key("Müller") == "muller"
    assert search_key("  ÉLODIE ") == "elodie"
    # Apostrophes, straight or curly as a phone types them, are dropped: "oconnell" finds O'Connell.
    assert search_key("O'Connell") == search_key("O’Connell") == search_key("oconnell") == "oconnell"
