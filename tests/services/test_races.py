"""Two people act on one visit at the same instant: exactly one wins, the other is told so, and the audit
log records only what happened. On PostgreSQL the compare-and-set result of signing and of entered-in-error
was once ignored, so a lost race was audited as a success."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sotchart.domain.errors import Conflict, StaleVersion
from sotchart.services import audit, charting, visits
from sotchart.services.context import Actor, App
from tests import factories


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each result is the return value or the exception."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        start.wait()
        try:
            results[i] = call()
        except Exception as e:  # the loser's refusal is what the test looks at
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _audited(app: App, c: factories.ClinicWithStaff, visit_id: int, action: str) -> list[Any]:
    trail = audit.patient_trail(app, Actor.console(c.id), visits.get_visit(app, c.actor("owner"), visit_id).patient_id)
    return [e for e in trail if e.action == action and e.record_id == str(visit_id)]


def test_two_signatures_at_once_sign_once(app: App) -> None:
    c = factories.clinic_with_staff(app)
    for _ in range(5):
        v = factories.charted_visit(app, c, factories.patient(app, c).id)
        results = _at_once(
            lambda v=v: charting.sign(app, c.actor("clinician"), v.id, None),
            lambda v=v: charting.sign(app, c.actor("owner"), v.id, None),
        )
        won = [r for r in results if isinstance(r, charting.VisitRecord)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], Conflict | StaleVersion), repr(lost[0])
        assert len(_audited(app, c, v.id, "visit.sign")) == 1
        assert len(charting.open_record(app, c.actor("owner"), v.id).history) == 1


def test_signing_and_entered_in_error_at_once_do_one_of_them(app: App) -> None:
    c = factories.clinic_with_staff(app)
    for _ in range(5):
        v = factories.charted_visit(app, c, factories.patient(app, c).id)
        version = visits.get_visit(app, c.actor("owner"), v.id).version
        results = _at_once(
            lambda v=v, version=version: charting.sign(app, c.actor("clinician"), v.id, None, expected_version=version),
            lambda v=v, version=version: visits.mark_entered_in_error(
                app, c.actor("owner"), v.id, "Wrong patient", version
            ),
        )
        won = [r for r in results if not isinstance(r, Exception)]
        assert len(won) == 1, results
        assert all(isinstance(r, Conflict | StaleVersion) for r in results if isinstance(r, Exception)), results
        final = visits.get_visit(app, c.actor("owner"), v.id)
        signed = _audited(app, c, v.id, "visit.sign")
        withdrawn = _audited(app, c, v.id, "visit.entered-in-error")
        # What the log says happened is what the visit shows.
        assert (len(signed), len(withdrawn)) == ((1, 0) if final.status == "signed" else (0, 1)), final.status


def test_two_withdrawals_at_once_are_audited_once(app: App) -> None:
    c = factories.clinic_with_staff(app)
    v = factories.visit(app, c, factories.patient(app, c).id)
    version = v.version
    results = _at_once(
        lambda: visits.mark_entered_in_error(app, c.actor("clinician"), v.id, "Duplicate", version),
        lambda: visits.mark_entered_in_error(app, c.actor("owner"), v.id, "Wrong patient", version),
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert len(_audited(app, c, v.id, "visit.entered-in-error")) == 1
