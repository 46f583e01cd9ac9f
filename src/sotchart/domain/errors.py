"""Errors a person can act on: each says what was wrong and what to do, and carries no patient data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    field: str
    message: str


class SotchartError(Exception):
    """Base of every error sotchart turns into a clear answer (HTTP problem, CLI message)."""

    status = 400
    title = "Request could not be completed"

    def __init__(self, detail: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []


class InvalidInput(SotchartError):
    status = 422
    title = "Some entries need fixing"


class NotFound(SotchartError):
    # A record of another clinic is "not found" too: a denial must not confirm that it exists.
    status = 404
    title = "Not found"


class Forbidden(SotchartError):
    status = 403
    title = "Not allowed"


class NotSignedIn(SotchartError):
    status = 401
    title = "Sign-in needed"


class Conflict(SotchartError):
    status = 409
    title = "Conflicting change"


class StaleVersion(SotchartError):
    status = 412
    title = "Someone else changed this record"


class PreconditionRequired(SotchartError):
    """An update sent without If-Match could overwrite a change it never saw (RFC 6585 §3)."""

    status = 428
    title = "Send the version you read"


class StorageUnavailable(SotchartError):
    """The database or the data folder cannot be used: read-only, not this user's, missing, or full."""

    status = 503
    title = "sotchart cannot reach its records"


@dataclass
class Problems:
    """Collects field problems so a form reports all of them at once, not one per submit."""

    items: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.items.append(FieldProblem(field_name, message))

    def raise_if_any(self, summary: str = "Some entries need fixing.") -> None:
        if self.items:
            raise InvalidInput(summary, list(self.items))
