"""One identity for a finding: over a demo-sized practice the stored visit summaries and the analytics
rollups equal a recount from the signed findings, and the migration that introduced it recounts stored
summaries that the older, looser match had inflated."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from alembic import command
from sqlalchemy import select, text

from sotchart.domain.findings import identity, is_normal, is_positive, recheck_counts
from sotchart.domain.roles import Role
from sotchart.services import analytics, charting, demo
from sotchart.services.context import Actor, App
from sotchart.store import migrate
from sotchart.store import tables as t
from tests import factories
from tests.cli.test_audit_verify import _drop_guards


def _current_documents(app: App) -> list[dict[str, Any]]:
    with app.db.transaction() as conn:
        rows = conn.execute(
            select(t.visit, t.visit_revision.c.document)
            .join(
                t.visit_revision,
                (t.visit_revision.c.visit_id == t.visit.c.id) & (t.visit_revision.c.revision == t.visit.c.revision),
            )
            .where(t.visit.c.revision > 0)
        ).mappings()
        out = []
        for r in rows:
            doc = r["document"]
            out.append(dict(r) | {"document": doc if isinstance(doc, dict) else json.loads(doc)})
        return out


def test_a_demo_practice_counts_the_same_as_its_findings(fresh_app: App) -> None:
    app = fresh_app
    demo.load_demo(app, patients=25, long_history_visits=300, seed=11)
    visits = _current_documents(app)
    assert len(visits) > 300
    expected: Counter[tuple[str, str]] = Counter()
    for v in visits:
        findings = v["document"].get("findings") or []
        _positive, rechecked, cleared = recheck_counts(findings)
        posts = [f for f in findings if f["phase"] == "post"]
        assert (v["indicators_pre"], v["indicators_post"], v["indicators_rechecked"], v["indicators_cleared"]) == (
            sum(1 for f in findings if is_positive(f, "pre")),
            sum(1 for f in posts if is_positive(f, "post")) if posts else None,
            rechecked,
            cleared,
        ), f"visit {v['id']}"
        if v["status"] in ("signed", "amended"):
            post = {identity(f): f for f in findings if f.get("phase") == "post"}
            for f in findings:
                if is_positive(f, "pre"):
                    after = post.get(identity(f))
                    expected[(f["code"], "positive")] += 1
                    expected[(f["code"], "rechecked")] += after is not None
                    expected[(f["code"], "cleared")] += after is not None and is_normal(after.get("value"))
    with app.db.transaction() as conn:
        owner = conn.execute(select(t.app_user).where(t.app_user.c.role == "owner")).mappings().one()
    actor = Actor(owner["id"], owner["clinic_id"], Role.OWNER, owner["email"], "127.0.0.1")
    board = analytics.dashboard(app, actor, start="2000-01-01")
    got = {(r["code"], k): r[k] for r in board.clearing for k in ("positive", "rechecked", "cleared")}
    assert got == dict(expected)


def _two_fibres_one_rechecked(app: App) -> int:
    c = factories.clinic_with_staff(app)
    p = factories.patient(app, c)
    v = factories.visit(app, c, p.id)
    record = {
        "vitals": {"systolic": 120, "diastolic": 78, "pulse": 70},
        "pain": 4,
        "findings": [
            {"code": "occipital-fiber", "phase": "pre", "value": "positive", "side": "left", "line": 2, "area": 6},
            {"code": "occipital-fiber", "phase": "pre", "value": "positive", "side": "right", "line": 2, "area": 6},
            {"code": "occipital-fiber", "phase": "post", "value": "negative", "side": "left", "line": 2, "area": 6},
        ],
        "treatment": {"procedures": ["cmrt"]},
        "note": {"S": "s", "O": "o", "A": "a", "P": "p"},
    }
    r = charting.save_record(app, c.actor("clinician"), v.id, record, 0)
    charting.sign(app, c.actor("clinician"), v.id, r.revision)
    return v.id


def test_the_migration_recounts_inflated_summaries(fresh_app: App) -> None:
    app = fresh_app
    vid = _two_fibres_one_rechecked(app)
    with app.db.transaction() as conn:
        # What the older match (code, location, point, level) stored: both fibres "rechecked" by one post.
        conn.execute(
            text("UPDATE visit SET indicators_rechecked = 2, indicators_cleared = 2 WHERE id = :v"), {"v": vid}
        )
        # A log with a chain per clinic cannot go back to one chain (its entries are never rewritten), and
        # this test is about the summaries: the log is emptied so the schema can go back.
        _drop_guards(conn)
        conn.execute(text("DELETE FROM audit_event"))
        conn.execute(text("DELETE FROM audit_head"))
    cfg = migrate._config(app.db)
    command.downgrade(cfg, "0007")
    command.upgrade(cfg, "head")
    with app.db.transaction() as conn:
        row = conn.execute(
            text("SELECT indicators_pre, indicators_rechecked, indicators_cleared FROM visit WHERE id = :v"), {"v": vid}
        ).one()
        keys = conn.execute(
            text("SELECT phase, finding_key FROM visit_finding WHERE visit_id = :v ORDER BY id"), {"v": vid}
        ).all()
    assert tuple(row) == (2, 1, 1)
    left_pre, right_pre, left_post = (k.finding_key for k in keys)
    assert left_pre == left_post != right_pre
    assert migrate.check(app.db).ok
