"""Recheck (pre vs post) and where fibre and reflex findings point."""

from __future__ import annotations

import pytest

from sotchart.domain.protocol.engine import evaluate
from sotchart.domain.protocol.pack import ProtocolPack
from tests.domain.protocol.exams import exam, post, pre


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (pre("heel-tension", side="right", grade=3), post("heel-tension", side="right"), "resolved"),
        (
            pre("heel-tension", side="right", grade=3),
            post("heel-tension", "positive", side="right", grade=1),
            "improved",
        ),
        (
            pre("heel-tension", side="right", grade=3),
            post("heel-tension", "positive", side="right", grade=3),
            "unchanged",
        ),
        (pre("heel-tension", side="right", grade=2), post("heel-tension", "positive", side="right", grade=4), "worse"),
        (pre("heel-tension", "negative"), post("heel-tension", "positive", side="left", grade=2), "new"),
        (
            pre("leg-length-prone", "short", side="right", mm=6),
            post("leg-length-prone", "short", side="right", mm=2),
            "improved",
        ),
        (pre("leg-length-prone", "short", side="right", mm=6), post("leg-length-prone", "even"), "resolved"),
        (pre("posture-pelvis", "locked"), post("posture-pelvis", "normal"), "resolved"),
        (
            pre("occipital-fiber", side="left", line=2, area=6, grade=3),
            post("occipital-fiber", "positive", side="left", line=2, area=6, grade=1),
            "improved",
        ),
    ],
)
def test_recheck_change(before: dict, after: dict, change: str, pack: ProtocolPack) -> None:
    result = evaluate(exam(before, after), pack)
    assert [r["change"] for r in result["recheck"]] == [change]
    assert result["recheck_summary"][change] == 1


def test_a_finding_not_rechecked_is_listed(pack: ProtocolPack) -> None:
    result = evaluate(exam(pre("arm-fossa", side="left", location="upper")), pack)
    assert result["recheck"] == []
    assert result["not_rechecked"][0]["code"] == "arm-fossa"


def test_occipital_line_2_area_6_points_to_t8_with_every_map(pack: ProtocolPack) -> None:
    result = evaluate(exam(pre("occipital-fiber", side="right", line=2, area=6)), pack)
    r = result["reflexes"][0]
    assert r["vertebra"] == "T8"
    assert {m["map"] for m in r["cmrt"]} == {"sebone", "underwood", "soto-expression"}


def test_unmapped_points_say_not_found(pack: ProtocolPack) -> None:
    result = evaluate(
        exam(pre("occipital-fiber", side="right", line=4, area=1), pre("trapezius-fiber", side="left", point=3)), pack
    )
    assert all(r["vertebra"] is None and "not found" in r["not_found"].lower() for r in result["reflexes"])


def test_t4_disagreement_is_kept_side_by_side(pack: ProtocolPack) -> None:
    from sotchart.domain.protocol.reflexes import organ_labels

    organs = {m["map"]: m["organ"] for m in organ_labels(pack, "T4")}
    assert organs["sebone"] == "Gallbladder" and organs["underwood"] == "Liver"


def test_rc_pairs_sourced_and_unverified(pack: ProtocolPack) -> None:
    result = evaluate(
        exam(
            pre("rc-factor", side="left", level="C1"),
            pre("rc-factor", side="left", level="C4"),
            pre("rc-factor", side="left", level="C7"),
        ),
        pack,
    )
    by_level = {r["level"]: r for r in result["reflexes"]}
    assert by_level["C1"]["paired"] == "L5" and "unverified" not in by_level["C1"]["source"]
    assert by_level["C4"]["paired"] == "L2" and by_level["C4"]["source"]["unverified"] is True
    assert by_level["C7"]["paired"] is None


def test_compaction_test_is_recorded_with_its_meaning_not_found(pack: ProtocolPack) -> None:
    result = evaluate(exam(pre("compaction-test")), pack)
    assert any("compaction" in n.lower() for n in result["not_found"])
    assert all(not c["supporting"] for c in result["categories"].values())
