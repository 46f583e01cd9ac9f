"""Check digits of the identifiers a clinic types (a clinician's NPI; later the clinic's tax ID), by
python-stdnum rather than by hand. The domain stays free of third-party code, so the check lives here."""

from __future__ import annotations

import re

from stdnum import luhn

from sotchart.domain.errors import FieldProblem


def npi_problem(value: str, field: str = "npi") -> FieldProblem | None:
    """An NPI (45 CFR 162.406) is 10 digits, the last a Luhn check digit computed over the number with the
    prefix 80840 (CMS, "Requirements for the NPI check digit")."""
    if not re.fullmatch(r"\d{10}", value):
        return FieldProblem(field, "Enter the 10-digit NPI, digits only.")
    if not luhn.is_valid("80840" + value):
        return FieldProblem(field, "This NPI's check digit does not match; check the number in NPPES.")
    return None
