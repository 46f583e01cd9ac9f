"""Request bodies of the JSON API: the shape a script sends, with limits a person can read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatientIn(_Body):
    family_name: str = Field(min_length=1, max_length=100)
    given_name: str = Field(min_length=1, max_length=100)
    birth_date: str = Field(description="YYYY-MM-DD", max_length=10)
    sex: Literal["female", "male", "other", "unknown"] = "unknown"
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=2000)
    external_id: str = Field("", max_length=64)
    confirm_not_duplicate: bool = Field(
        False, description="Register although a patient with this name and birth date is already registered."
    )


class PatientPatch(_Body):
    family_name: str | None = Field(None, min_length=1, max_length=100)
    given_name: str | None = Field(None, min_length=1, max_length=100)
    birth_date: str | None = Field(None, max_length=10)
    sex: Literal["female", "male", "other", "unknown"] | None = None
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=2000)
    external_id: str | None = Field(None, max_length=64)


class AlertIn(_Body):
    kind: Literal["allergy", "safety", "administrative"]
    text: str = Field(min_length=1, max_length=500)


class EpisodeIn(_Body):
    complaint: str = Field(min_length=1, max_length=200)
    start_date: str = Field("", max_length=10)


class VisitIn(_Body):
    visit_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD; today when left out")
    kind: Literal["new-patient", "follow-up", "re-examination"] = "follow-up"
    complaint: str = Field("", max_length=500)
    note: str | None = Field(None, max_length=50_000, description="Not here: the note is written in the record")
    episode_id: int | None = None
    second_visit_today: bool = Field(
        False, description="A second visit on a day the patient already has one (without it: 409, naming the visit)"
    )


class VisitPatch(_Body):
    visit_date: str | None = Field(None, max_length=10)
    kind: Literal["new-patient", "follow-up", "re-examination"] | None = None
    complaint: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=50_000, description="Not here: the note is written in the record")


class EnteredInErrorIn(_Body):
    reason: str = Field(min_length=1, max_length=500)
