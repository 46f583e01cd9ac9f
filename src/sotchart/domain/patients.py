"""A patient's registration data and the checks it must pass before it is stored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sotchart.domain.errors import Problems

SEXES = ("female", "male", "other", "unknown")


def age_on(birth: date, day: date) -> int:
    """Whole years of age on a day: the one definition (the engine's age, the banner, the research export)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


MAX_NAME = 100
MAX_TEXT = 2000
_PHONE = re.compile(r"^[0-9+()\-. ]{5,30}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


@dataclass(frozen=True)
class PatientDetails:
    family_name: str
    given_name: str
    birth_date: date
    sex: str = "unknown"
    phone: str = ""
    email: str = ""
    address: str = ""
    external_id: str = ""  # e.g. a previous system's chart number
    preferred_name: str = ""  # what the patient likes to be called ("Liz"); the legal name stays on records
    emergency_name: str = ""
    emergency_phone: str = ""
    emergency_relationship: str = ""
    referring_provider: str = ""


# Registration's lengths beyond the names (the database's own limits).
TEXT_LIMITS = {
    "preferred_name": MAX_NAME,
    "emergency_name": 200,
    "emergency_relationship": 50,
    "referring_provider": 200,
    "external_id": 64,
}


APOSTROPHES = "'’‘ʼ"
# Latin letters that Unicode does not decompose into a base letter plus an accent.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}
    # Apostrophes are dropped, so "oconnell" finds O'Connell, and O’Connell typed on a phone finds it too.
    | dict.fromkeys(APOSTROPHES, "")
)


def search_key(text: str) -> str:
    """Name as searched: case and accents folded, so "Müller" is found by "mul" and "Łukasz" by "luk", and
    apostrophes dropped ("oconnell" finds O'Connell).
    Other scripts are kept as they are, so a name in Japanese is found by its own characters."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_UNDECOMPOSED).strip()


def check_details(details: PatientDetails, today: date) -> None:
    """Raise InvalidInput naming every field to fix; `today` comes from the caller (the domain has no clock)."""
    p = Problems()
    for name, value in (("family_name", details.family_name), ("given_name", details.given_name)):
        if not value.strip():
            p.add(name, "Enter the name.")
        elif len(value) > MAX_NAME:
            p.add(name, f"Use at most {MAX_NAME} characters.")
        elif any(unicodedata.category(c) == "Cc" for c in value):
            p.add(name, "Remove control characters.")
    if details.birth_date > today:
        p.add("birth_date", "The date of birth is in the future; check the year.")
    elif details.birth_date.year < today.year - 125:
        p.add("birth_date", "The date of birth is more than 125 years ago; check the year.")
    if details.sex not in SEXES:
        p.add("sex", f"Choose one of: {', '.join(SEXES)}.")
    if details.phone and not _PHONE.match(details.phone):
        p.add("phone", "Use digits, spaces and + ( ) - . only (5 to 30 characters).")
    if details.emergency_phone and not _PHONE.match(details.emergency_phone):
        p.add("emergency_phone", "Use digits, spaces and + ( ) - . only (5 to 30 characters).")
    if details.email and not _EMAIL.match(details.email):
        p.add("email", "Enter an address like name@example.com.")
    if len(details.address) > MAX_TEXT:
        p.add("address", f"Use at most {MAX_TEXT} characters.")
    for name, limit in TEXT_LIMITS.items():
        if len(getattr(details, name)) > limit:
            p.add(name, f"Use at most {limit} characters.")
    p.raise_if_any()


# A chart number names files in exports (pdf/<chart number>.pdf), so it is an identifier, never a path.
_CHART_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")


def chart_number_problem(value: str) -> str:
    """Why a chart number from another system cannot be kept, or "" when it can."""
    if not _CHART_NUMBER.match(value):
        return "A chart number is 1 to 20 letters, digits, - or _, starting with a letter or digit."
    return ""


def file_name_part(value: str) -> str:
    """A value made safe as one part of a file name in an archive: no path, no dot-files, no separators."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", value)[:40].strip("_")
    return safe or "unnamed"


ALERT_KINDS = ("allergy", "safety", "administrative")


def check_alert(kind: str, text: str) -> None:
    p = Problems()
    if kind not in ALERT_KINDS:
        p.add("kind", f"Choose one of: {', '.join(ALERT_KINDS)}.")
    if not text.strip():
        p.add("text", "Enter the alert text.")
    elif len(text) > 500:
        p.add("text", "Use at most 500 characters.")
    p.raise_if_any()
