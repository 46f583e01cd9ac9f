"""Recording a visit is the write a group of clinics makes most (start it, save its record, sign it), and
each SQL statement it makes costs time inside the transaction, where other writers wait. These tests count
the statements each request makes, so a change that adds one is seen here and not first under load; and
they check that the answers, built from what the request wrote instead of reading it back, are what a
fresh read of the visit shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from sotchart.services import charting
from sotchart.services.context import App
from tests import factories
from tests.support import web

# The most statements each request may make, the token's check included (one read of the token and its
# account). What they are, on both databases:
# - start a visit: the token; the patient; a visit already that day; the patient's episodes; the insert
#   (which returns the row); the audit entry (the chain's head, the entry, the new head).
# - save the record: the token; the visit (locked) and its patient; the latest revision; the new revision;
#   the visit's summary; the last signed visit before it (and its record); the patient's alerts; the audit
#   entry.
# - sign: the token; the visit, its patient and the latest revision; the last signed visit (and its
#   record); the signer; the tablet's answers still waiting for review (a note is not signed over them);
#   the signed revision, its findings, its care and the visit; the months whose outcome counts it moves;
#   the signed versions; the alerts; the audit entry.
BUDGET = {"start": 9, "save": 12, "sign": 20}


@contextmanager
def statements(app: App) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(" ".join(statement.split())[:90])

    event.listen(app.db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.db.engine, "before_cursor_execute", count)


def _record_with_a_previous_visit(app: App) -> tuple[Any, dict[str, str], int, dict[str, Any]]:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    before = factories.charted_visit(app, c, p.id)  # a signed visit before: the record is compared with it
    charting.sign(app, c.actor("clinician"), before.id, None)
    client = web.client(app)
    auth = {"Authorization": f"Bearer {factories.token(app, c, 'clinician')}"}
    return client, auth, p.id, factories.full_record()


def test_recording_a_visit_stays_within_its_statements(app: App) -> None:
    client, auth, patient_id, doc = _record_with_a_previous_visit(app)
    made: dict[str, list[str]] = {}
    with statements(app) as made["start"]:
        r = client.post(f"/api/v1/patients/{patient_id}/visits", json={"second_visit_today": True}, headers=auth)
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    with statements(app) as made["save"]:
        r = client.put(f"/api/v1/visits/{vid}/record", json=doc, headers=auth | {"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text
    with statements(app) as made["sign"]:
        r = client.post(f"/api/v1/visits/{vid}/record/sign", headers=auth | {"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text
    for step, limit in BUDGET.items():
        listed = "\n".join(f"  {n} × {s}" for s, n in Counter(made[step]).most_common())
        assert len(made[step]) <= limit, f"{step}: {len(made[step])} statements (at most {limit}):\n{listed}"


def test_the_answers_of_a_save_and_a_signature_are_what_a_read_shows(app: App) -> None:
    client, auth, patient_id, doc = _record_with_a_previous_visit(app)
    r = client.post(f"/api/v1/patients/{patient_id}/visits", json={"second_visit_today": True}, headers=auth)
    created = r.json()
    vid = created["id"]
    read = client.get(f"/api/v1/visits/{vid}", headers=auth).json()
    assert created == read
    for change in (
        lambda etag: client.put(f"/api/v1/visits/{vid}/record", json=doc, headers=auth | {"If-Match": etag}),
        lambda etag: client.post(f"/api/v1/visits/{vid}/record/sign", headers=auth | {"If-Match": etag}),
    ):
        etag = client.get(f"/api/v1/visits/{vid}/record", headers=auth).headers["ETag"]
        answered = change(etag)
        assert answered.status_code == 200, answered.text
        fresh = client.get(f"/api/v1/visits/{vid}/record", headers=auth)
        assert answered.json() == fresh.json()
        assert answered.headers["ETag"] == fresh.headers["ETag"]
