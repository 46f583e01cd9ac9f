"""Bad exams: a clear error naming the field and the allowed values."""

from __future__ import annotations

import pytest

from sotchart.domain.errors import InvalidInput
from sotchart.domain.protocol.engine import evaluate
from sotchart.domain.protocol.pack import ProtocolPack
from tests.domain.protocol.exams import exam, post, pre


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (exam(pre("no-such-indicator")), "findings[0].code", "allowed"),
        (exam(pre("first-rib-motion", side="left")), "findings[0].side", "no side"),
        (exam(pre("heel-tension", grade=9)), "findings[0].grade", "1 to 5"),
        (exam(pre("arm-fossa", location="middle")), "findings[0].location", "upper, lower"),
        (exam(pre("posture-pelvis", "wobbly")), "findings[0].value", "locked"),
        (exam(post("tmj")), "findings[0]", "no pre-treatment"),
        (exam(pre("tmj"), pre("tmj")), "findings[1]", "twice"),
        (exam(pre("leg-length-prone", "short", mm=80)), "findings[0].mm", "0 to 50"),
        (exam(pre("part-pain")), "findings[0].region", "needs the region"),
        (exam(pre("rc-factor", level="L3")), "findings[0].level", "C1"),
        (exam(pre("ts-line-point", point="nonsense")), "findings[0].point", "T5A"),
        (exam(vitals={"systolic": 400}), "vitals.systolic", "50–300"),
        (exam(vitals={"systolic": 80, "diastolic": 120}), "vitals.diastolic", "lower than the systolic"),
        (exam(vitals={"pulse": 3}), "vitals.pulse", "20–250"),
        (exam(history={"red_flags": ["hangnail"]}), "history.red_flags[0]", "unknown code"),
        (exam(payer="nhs"), "payer", "medicare"),
        (exam(treatment={"blocks": [{"site": "knee", "side": "left"}]}), "treatment.blocks[0].site", "iliac-crest"),
        (exam(treatment={"blocks": [{"site": "other", "side": "left"}]}), "treatment.blocks[0].note", "say where"),
        (exam(treatment={"spinal_regions": ["head"]}), "treatment.spinal_regions[0]", "cervical"),
        (exam(confirmed_category={"category": 4, "side": "left"}), "confirmed_category.category", "1, 2 or 3"),
        (exam(surprise=True), "surprise", "not a known field"),
    ],
)
def test_bad_input_names_the_field(bad: dict, field: str, words: str, pack: ProtocolPack) -> None:
    with pytest.raises(InvalidInput) as e:
        evaluate(bad, pack)
    problems = {p.field: p.message for p in e.value.problems}
    assert field in problems, problems
    assert words in problems[field]


def test_not_an_object(pack: ProtocolPack) -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        evaluate([1, 2], pack)
