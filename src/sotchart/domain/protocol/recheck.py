"""The recheck: each indicator before and after treatment, and what changed."""

from __future__ import annotations

from typing import Any

from sotchart.domain.protocol.exam import Exam, Finding
from sotchart.domain.protocol.pack import ProtocolPack

CHANGES = ("resolved", "improved", "unchanged", "worse", "new")


def _magnitude(f: Finding) -> float | None:
    if f.grade is not None:
        return float(f.grade)
    if f.mm is not None:
        return f.mm
    return None


def compare(pre: Finding, post: Finding, normal: str | None) -> tuple[str, str]:
    pre_abnormal = pre.value != normal
    post_abnormal = post.value != normal
    if pre_abnormal and not post_abnormal:
        return "resolved", ""
    if not pre_abnormal and post_abnormal:
        return "new", ""
    if not pre_abnormal:
        return "unchanged", ""
    a, b = _magnitude(pre), _magnitude(post)
    detail = ""
    if pre.side != post.side:
        detail = f"side {pre.side or '—'} → {post.side or '—'}"
    if pre.value != post.value:
        detail = (detail + "; " if detail else "") + f"{pre.value} → {post.value}"
    if a is not None and b is not None and a != b:
        return ("improved" if b < a else "worse"), detail
    return "unchanged", detail


def recheck(exam: Exam, pack: ProtocolPack) -> tuple[list[dict[str, Any]], dict[str, int], list[dict[str, Any]]]:
    pre = {f.key(): f for f in exam.findings if f.phase == "pre"}
    post = {f.key(): f for f in exam.findings if f.phase == "post"}
    rows = []
    for key in sorted(pre, key=lambda k: tuple(str(x) for x in k)):
        if key not in post:
            continue
        change, detail = compare(pre[key], post[key], pack.indicators[key[0]].normal)
        row: dict[str, Any] = {
            "code": key[0],
            "pre": pre[key].describe(),
            "post": post[key].describe(),
            "change": change,
        }
        if detail:
            row["detail"] = detail
        rows.append(row)
    summary = {c: sum(1 for r in rows if r["change"] == c) for c in CHANGES}
    not_rechecked = [
        {"code": f.code, **f.describe()}
        for k, f in sorted(pre.items(), key=lambda kv: str(kv[0]))
        if k not in post and f.value != pack.indicators[f.code].normal
    ]
    return rows, summary, not_rechecked
