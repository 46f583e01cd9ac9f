"""`sotchart audit verify` on a real database: exits non-zero and names the first bad entry when an
entry is edited, deleted, inserted or reordered (by someone who bypasses the append-only triggers)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text

from sotchart.services import patients
from sotchart.services.context import App
from tests import factories
from tests.support import cli


def _drop_guards(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER guard_audit_no_update"))
        conn.execute(text("DROP TRIGGER guard_audit_no_delete"))
    else:
        conn.execute(text("DROP TRIGGER guard_audit_append_only ON audit_event"))


# In the clinic's own chain, where its staff's work is logged (the shared chain holds the clinic's creation).


def _edit(conn: Connection) -> None:
    conn.execute(
        text(
            "UPDATE audit_event SET actor_label = 'innocent@x.test' "
            "WHERE seq = 5 AND chain = (SELECT max(chain) FROM audit_event)"
        )
    )


def _delete(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_event WHERE seq = 5 AND chain = (SELECT max(chain) FROM audit_event)"))


def _insert(conn: Connection) -> None:
    chain = conn.execute(text("SELECT max(chain) FROM audit_event")).scalar_one()
    conn.execute(text("UPDATE audit_event SET seq = seq + 1000 WHERE seq >= 5 AND chain = :c"), {"c": chain})
    conn.execute(text("UPDATE audit_event SET seq = seq - 999 WHERE seq >= 1005 AND chain = :c"), {"c": chain})
    conn.execute(
        text(
            "INSERT INTO audit_event (chain, seq, at, clinic_id, actor_id, actor_label, action, record_type, "
            "record_id, patient_id, outcome, address, detail, prev_hash, hash) SELECT chain, 5, at, clinic_id, "
            "actor_id, actor_label, action, record_type, record_id, patient_id, outcome, address, 'forged', "
            "prev_hash, hash FROM audit_event WHERE seq = 4 AND chain = :c"
        ),
        {"c": chain},
    )


def _reorder(conn: Connection) -> None:
    chain = conn.execute(text("SELECT max(chain) FROM audit_event")).scalar_one()
    for old, new in ((5, -1), (6, 5), (-1, 6)):
        conn.execute(
            text("UPDATE audit_event SET seq = :n WHERE seq = :o AND chain = :c"), {"n": new, "o": old, "c": chain}
        )


def _truncate_tail(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_event WHERE seq > 7 AND chain = (SELECT max(chain) FROM audit_event)"))


@pytest.mark.parametrize(
    ("tamper", "first_bad"), [(_edit, 5), (_delete, 5), (_insert, 5), (_reorder, 5), (_truncate_tail, 8)]
)
def test_tampering_is_caught_and_named(fresh_app: App, tamper: Callable[[Connection], None], first_bad: int) -> None:
    c = factories.clinic_with_staff(fresh_app)
    p = factories.patient(fresh_app, c)
    for _ in range(4):
        patients.open_chart(fresh_app, c.actor("clinician"), p.id)
    ok = cli.run(fresh_app, "audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    with fresh_app.db.transaction() as conn:
        _drop_guards(conn)
        tamper(conn)
    bad = cli.run(fresh_app, "audit", "verify")
    assert bad.returncode != 0
    assert f"entry {first_bad}" in bad.stderr, bad.stderr


def test_the_log_refuses_edits_while_its_guards_stand(fresh_app: App) -> None:
    c = factories.clinic_with_staff(fresh_app)
    factories.patient(fresh_app, c)
    with pytest.raises(Exception, match="append-only"), fresh_app.db.transaction() as conn:
        conn.execute(text("UPDATE audit_event SET detail = 'x' WHERE seq = 1"))
    with pytest.raises(Exception, match="append-only"), fresh_app.db.transaction() as conn:
        conn.execute(text("DELETE FROM audit_event"))
