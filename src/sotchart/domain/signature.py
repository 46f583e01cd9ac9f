"""Who signed a note and how the note says so: the signer's name, professional credentials and NPI, the date
of service and the moment of signing in the clinic's time zone. Medicare wants every entry authenticated
by its author with a legible handwritten or electronic signature (Program Integrity Manual, Pub. 100-08,
ch. 3, §3.3.2.4; initials alone are not accepted); an electronic one is shown as "electronically signed
by", the name with the professional designation, and the date and time. A payer, a lawyer and another
clinician read the same line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sotchart.domain.errors import FieldProblem

# Letters, dots, commas, hyphens and spaces: "DC", "DC, DACBSP", "D.C., M.S.". A title, not a sentence.
_CREDENTIALS = re.compile(r"^[A-Za-z][A-Za-z.,()/ -]{0,59}$")


def credentials_problem(value: str) -> FieldProblem | None:
    if value and not _CREDENTIALS.match(value):
        return FieldProblem("credentials", 'Enter the letters after the name, e.g. "DC" or "DC, DACBSP".')
    return None


@dataclass(frozen=True)
class Signer:
    name: str
    credentials: str = ""
    npi: str | None = None

    def label(self) -> str:
        """ "Jane Smith, DC, NPI 1234567893": the name as the clinic knows it, then what stands behind it."""
        parts = [self.name or "an unnamed user"]
        if self.credentials:
            parts.append(self.credentials)
        if self.npi:
            parts.append(f"NPI {self.npi}")
        return ", ".join(parts)


def _moment(at: datetime) -> str:
    return f"{at:%-d %B %Y} at {at:%H:%M %Z}"


def signature_lines(
    date_of_service: date,
    signed_by: Signer | None,
    signed_at: datetime | None,
    *,
    amended_by: Signer | None = None,
    amended_at: datetime | None = None,
    amendment_reason: str = "",
    elsewhere: str = "",
) -> list[str]:
    """The note's closing lines, with the moments already in the clinic's time zone."""
    late = signed_at is not None and signed_at.date() > date_of_service and not elsewhere
    # A late entry says so, with the day it was written (CMS, PIM ch. 3 §3.3.2.5: late entries are
    # identified and dated when written).
    written = f" (late entry, written {signed_at:%-d %B %Y})" if late and signed_at is not None else ""
    lines = [f"Date of service: {date_of_service:%-d %B %Y}{written}."]
    if elsewhere:
        lines.append(elsewhere.rstrip(".") + ".")
    elif signed_by is not None and signed_at is not None:
        lines.append(f"Electronically signed by {signed_by.label()} on {_moment(signed_at)}.")
    if amended_by is not None and amended_at is not None:
        lines.append(f"Amended by {amended_by.label()} on {_moment(amended_at)}: {amendment_reason.strip()}")
    return lines


def closing_lines(note: str) -> list[str]:
    """The signature block of a signed note's text (from its date of service on), read back from the signed
    text itself so the screen shows the words that were signed. Notes signed before the block existed have
    none."""
    lines = note.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Date of service: ")]
    return lines[starts[-1] :] if starts else []
