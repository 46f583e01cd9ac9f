"""one finding identity: each signed finding stores its identity, and summaries and rollups are recounted

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The visit summary matched a recheck to its pre-treatment finding by code, location, point and level, the
rollups by the same four, and the engine by every place field and a point finding's side: with two
occipital fibres, one rechecked, the stored counts were higher than the engine's. Every place now uses
sotchart.domain.findings.identity; this revision stores it beside each signed finding (so SQL joins on it),
recounts every visit's summary from its current record, and marks every analytics month to be counted again.
"""

import json

import sqlalchemy as sa
from alembic import op

from sotchart.domain.findings import identity_key, indicator_counts
from sotchart.store.migrations_guards import append_only, drop_append_only

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    conn = op.get_bind()
    # Signed findings only grow; the guard is lifted for this one backfill of a derived column.
    drop_append_only(conn, "visit_finding")
    op.add_column("visit_finding", sa.Column("finding_key", sa.String(length=200), nullable=True))
    _backfill_keys(conn)
    op.create_index("ix_visit_finding_key", "visit_finding", ["visit_id", "revision", "finding_key"], unique=False)
    append_only(conn, "visit_finding")
    _recount_summaries(conn)
    # Every month is counted again on the next dashboard (the rollups join on the stored identity now).
    conn.execute(sa.text("UPDATE outcome_month_state SET changes = changes + 1"))


def _backfill_keys(conn: sa.Connection) -> None:
    f = sa.table(
        "visit_finding",
        *(sa.column(n) for n in ("id", "code", "side", "location", "region", "level", "line", "area", "point")),
        sa.column("finding_key", sa.String),
    )
    last = 0
    while True:
        rows = conn.execute(sa.select(f).where(f.c.id > last).order_by(f.c.id).limit(BATCH)).mappings().all()
        if not rows:
            return
        conn.execute(
            sa.update(f).where(f.c.id == sa.bindparam("fid")).values(finding_key=sa.bindparam("key")),
            [{"fid": r["id"], "key": identity_key(dict(r))} for r in rows],
        )
        last = rows[-1]["id"]


def _recount_summaries(conn: sa.Connection) -> None:
    visit = sa.table(
        "visit",
        sa.column("id", sa.Integer),
        sa.column("revision", sa.Integer),
        sa.column("indicators_pre", sa.Integer),
        sa.column("indicators_post", sa.Integer),
        sa.column("indicators_rechecked", sa.Integer),
        sa.column("indicators_cleared", sa.Integer),
    )
    rev = sa.table(
        "visit_revision", sa.column("visit_id", sa.Integer), sa.column("revision", sa.Integer), sa.column("document")
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(visit.c.id, rev.c.document)
            .join(rev, sa.and_(rev.c.visit_id == visit.c.id, rev.c.revision == visit.c.revision))
            .where(visit.c.id > last)
            .order_by(visit.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for r in rows:
            counts = indicator_counts(json.loads(r.document).get("findings") or [])
            values.append(
                {
                    "vid": r.id,
                    "pre": counts["indicators_pre"],
                    "post": counts["indicators_post"],
                    "rechecked": counts["indicators_rechecked"],
                    "cleared": counts["indicators_cleared"],
                }
            )
        conn.execute(
            sa.update(visit)
            .where(visit.c.id == sa.bindparam("vid"))
            .values(
                indicators_pre=sa.bindparam("pre"),
                indicators_post=sa.bindparam("post"),
                indicators_rechecked=sa.bindparam("rechecked"),
                indicators_cleared=sa.bindparam("cleared"),
            ),
            values,
        )
        last = rows[-1].id


def downgrade() -> None:
    conn = op.get_bind()
    drop_append_only(conn, "visit_finding")
    op.drop_index("ix_visit_finding_key", table_name="visit_finding")
    op.execute("ALTER TABLE visit_finding DROP COLUMN finding_key")
    append_only(conn, "visit_finding")
