"""One ETag scheme for every record the API serves: the record's version in quotes. A visit's version moves
with every change to it (its details, its clinical record, its signature), so the ETag read from any of its
routes is the If-Match for any other."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header

from sotchart.domain.errors import FieldProblem, InvalidInput, PreconditionRequired

_ETAG = re.compile(r'^(?:W/)?"(\d{1,9})"$')

IfMatch = Annotated[str | None, Header(alias="If-Match")]


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(value: str | None) -> int | None:
    """The version the client read, which every update must send: without it, two clients saving at once
    silently overwrite each other (93 of 100 concurrent updates were lost so). `*` says, on purpose, "whatever
    is stored now" and is accepted as such."""
    if value is None or not value.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag from your last GET of this record, so a change made since is not "
            'overwritten (e.g. If-Match: "3"). Nothing was changed.'
        )
    if value.strip() == "*":
        return None
    m = _ETAG.match(value.strip())
    if not m:
        raise InvalidInput(
            'If-Match must be the ETag from your last GET of this record, e.g. "3".',
            [FieldProblem("If-Match", 'Send the ETag header value unchanged, e.g. "3".')],
        )
    return int(m.group(1))
