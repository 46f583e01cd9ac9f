"""Checking the audit log's chain, and reading a patient's access history."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from sotchart.domain.audit import AuditEntry, ChainBreak, verify_chains
from sotchart.domain.errors import FieldProblem, InvalidInput
from sotchart.domain.roles import Action
from sotchart.services.context import Actor, App, unit
from sotchart.store import audit as audit_store
from sotchart.store.audit_anchor import AnchorFile, AnchorReading, merged


def verify(app: App, actor: Actor, other_anchors: Sequence[Path] = ()) -> tuple[ChainBreak | None, int]:
    """The first break in any chain (or None) and the number of entries checked: each chain's hash chain,
    its seals with the key, its checkpoint in the database and its line in the anchor outside it (this
    server's, with the other servers' of a group when given)."""
    missing = [p for p in other_anchors if not p.is_file()]
    if missing:
        raise InvalidInput(
            f"No anchor file at {missing[0]}. Give the path of another server's anchor file "
            "(its SOTCHART_AUDIT_ANCHOR_FILE, copied here). Nothing was checked.",
            [FieldProblem("anchor", "Not a file.")],
        )
    reading = _anchors(app, other_anchors)
    with unit(app, actor, Action.AUDIT_READ, "audit", read=True) as u:
        heads = audit_store.heads(u.conn)
        if reading is not None and reading.problem:
            return ChainBreak(0, reading.problem + " (the anchor was altered)"), 0
        if reading is not None and not reading.present and heads:
            # Every commit that audits writes the anchor, so a log with entries and no anchor has lost it.
            # Even when no entry carries a seal: a log stripped of its seals looks like one from before
            # sealing began, and only the anchor tells them apart (after an upgrade, the first write makes it).
            path = ", ".join(str(p) for p in [app.settings.resolved_audit_anchor, *other_anchors])
            chain, head = min(heads.items())
            return ChainBreak(
                head.seq,
                f"the anchor file {path} is missing, so nothing shows the newest entries are all there or that "
                "their seals were not stripped (restore the file from a backup of the anchor, or investigate who "
                "removed it; just after upgrading from a version before sealing, any change made in sotchart "
                "writes it)",
                chain,
            ), 0
        n = 0

        def counted(chain: int) -> Iterator[AuditEntry]:
            nonlocal n
            for e in audit_store.iter_entries(u.conn, chain):
                n += 1
                yield e

        result = verify_chains(
            ((c, counted(c), heads.get(c)) for c in audit_store.chains(u.conn, heads)),
            key=app.db.audit_key,
            anchors=reading.anchors if reading is not None and reading.present else None,
        )
    return result, n


def _anchors(app: App, others: Sequence[Path]) -> AnchorReading | None:
    own = app.db.audit_anchor
    if own is None:
        return None
    return merged([own.read(), *(AnchorFile(p, app.db.audit_key or b"").read() for p in others)])


def patient_trail(app: App, actor: Actor, patient_id: int, limit: int = 50) -> list[AuditEntry]:
    with unit(app, actor, Action.AUDIT_READ, "audit", read=True) as u:
        return audit_store.for_patient(u.conn, patient_id, limit)
