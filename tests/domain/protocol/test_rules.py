"""Every rule of the shipped pack, each with an exam where it fires and one where it does not."""

from __future__ import annotations

import pytest

from sotchart.domain.protocol.engine import evaluate
from sotchart.domain.protocol.pack import ProtocolPack
from sotchart.services import protocol
from tests.domain.protocol.exams import exam, pre

PACK = protocol.load(protocol.SHIPPED)


def _finding_for(rule_indicator: str, value: str, side: str | None = "right") -> dict:
    ind = PACK.indicators[rule_indicator]
    fields: dict = {}
    if ind.side != "none" and side:
        fields["side"] = side
    return pre(rule_indicator, value, **fields)


def _other_value(indicator: str, value: str) -> str:
    return next(v for v in PACK.indicators[indicator].values if v != value)


@pytest.mark.parametrize("rule", PACK.category_rules, ids=lambda r: r.id)
def test_category_rule_fires(rule, pack: ProtocolPack) -> None:  # type: ignore[no-untyped-def]
    result = evaluate(exam(_finding_for(rule.indicator, rule.value)), pack)
    support = result["categories"][str(rule.category)]["supporting"]
    assert rule.id in [s["rule"] for s in support]
    assert all(s["source"]["url"] is not None for s in support)
    side = next(s["side"] for s in support if s["rule"] == rule.id)
    assert side == ("right" if rule.side_from_finding and PACK.indicators[rule.indicator].side != "none" else None)


@pytest.mark.parametrize("rule", PACK.category_rules, ids=lambda r: r.id)
def test_category_rule_does_not_fire_on_another_value_or_after_treatment(rule, pack: ProtocolPack) -> None:  # type: ignore[no-untyped-def]
    other = _finding_for(rule.indicator, _other_value(rule.indicator, rule.value))
    result = evaluate(exam(other), pack)
    assert rule.id not in [s["rule"] for c in result["categories"].values() for s in c["supporting"]]
    # A post-treatment finding never counts as category evidence.
    both = exam(
        _finding_for(rule.indicator, _other_value(rule.indicator, rule.value)),
        {**_finding_for(rule.indicator, rule.value), "phase": "post"},
    )
    result = evaluate(both, pack)
    assert rule.id not in [s["rule"] for c in result["categories"].values() for s in c["supporting"]]


@pytest.mark.parametrize("code", sorted(PACK.red_flags))
def test_each_red_flag_sets_its_groups_action(code: str, pack: ProtocolPack) -> None:
    rf = PACK.red_flags[code]
    action = PACK.safety_groups[rf.group].action
    result = evaluate(exam(history={"red_flags": [code]}), pack)
    flag = next(f for f in result["safety"]["flags"] if f["code"] == code)
    assert flag["group"] == rf.group and flag["action"] == action and flag["source"]["title"]
    assert result["safety"]["action"] == action
    if rf.prov.unverified:
        assert flag["source"].get("unverified") is True


@pytest.mark.parametrize("code", sorted(PACK.red_flags))
def test_a_red_flag_not_reported_is_not_flagged(code: str, pack: ProtocolPack) -> None:
    result = evaluate(exam(), pack)
    assert code not in [f["code"] for f in result["safety"]["flags"]]
    assert result["safety"]["action"] == "clear"


@pytest.mark.parametrize("code", sorted(PACK.conditions))
def test_each_contraindication(code: str, pack: ProtocolPack) -> None:
    c = PACK.conditions[code]
    result = evaluate(exam(history={"conditions": [code]}), pack)
    expected = "refer-before-treatment" if c.kind == "absolute" else "caution"
    assert result["safety"]["action"] == expected
    assert [f["code"] for f in result["safety"]["flags"]] == [code]


@pytest.mark.parametrize(
    ("systolic", "diastolic", "band", "action"),
    [
        (112, 72, "normal", "clear"),
        (119, 79, "normal", "clear"),
        (120, 79, "elevated", "clear"),
        (129, 70, "elevated", "clear"),
        (130, 70, "stage-1", "clear"),
        (118, 80, "stage-1", "clear"),
        (139, 89, "stage-1", "clear"),
        (140, 70, "stage-2", "caution"),
        (118, 90, "stage-2", "caution"),
        (180, 120, "stage-2", "caution"),
        (181, 100, "hypertensive-crisis", "refer-before-treatment"),
        (170, 121, "hypertensive-crisis", "refer-before-treatment"),
    ],
)
def test_blood_pressure_bands(systolic: int, diastolic: int, band: str, action: str, pack: ProtocolPack) -> None:
    result = evaluate(exam(vitals={"systolic": systolic, "diastolic": diastolic}), pack)
    assert result["blood_pressure"]["category"] == band
    assert result["safety"]["action"] == action


def test_crisis_with_a_target_organ_symptom_is_an_emergency(pack: ProtocolPack) -> None:
    result = evaluate(exam(vitals={"systolic": 196, "diastolic": 124, "symptoms": ["chest-pain"]}), pack)
    assert result["safety"]["action"] == "emergency-referral"
    assert result["safety"]["flags"][0]["code"] == "bp-crisis-with-symptoms"


def test_thresholds_are_configurable(pack: ProtocolPack) -> None:
    from sotchart.domain.safety import BPThresholds

    strict = BPThresholds(crisis_systolic_above=170, crisis_diastolic_above=110)
    result = evaluate(exam(vitals={"systolic": 175, "diastolic": 95}), pack, strict)
    assert result["safety"]["action"] == "refer-before-treatment"
    assert result["blood_pressure"]["category"] == "stage-2"  # the ACC/AHA band itself does not move


def test_missing_blood_pressure_is_a_caution(pack: ProtocolPack) -> None:
    result = evaluate(exam(vitals={"systolic": None, "diastolic": None}), pack)
    assert result["safety"]["action"] == "caution"
    assert result["safety"]["flags"][0]["code"] == "bp-not-measured"


@pytest.mark.parametrize(("age", "flagged"), [(51, True), (50, False), (20, False), (19, True)])
def test_age_screen(age: int, flagged: bool, pack: ProtocolPack) -> None:
    result = evaluate(exam(patient={"age": age}), pack)
    assert any(f["code"].startswith("age-") for f in result["safety"]["flags"]) is flagged


def test_pregnancy_is_a_caution_and_its_bleeding_an_emergency(pack: ProtocolPack) -> None:
    assert evaluate(exam(patient={"pregnant": True}), pack)["safety"]["action"] == "caution"
    bleeding = evaluate(exam(patient={"pregnant": True}, history={"red_flags": ["vaginal-bleeding"]}), pack)
    assert bleeding["safety"]["action"] == "emergency-referral"


@pytest.mark.parametrize("template", PACK.block_templates, ids=lambda t: t.id)
def test_block_template_for_its_category_and_side(template, pack: ProtocolPack) -> None:  # type: ignore[no-untyped-def]
    result = evaluate(exam(confirmed_category={"category": template.category, "side": template.side}), pack)
    assert result["blocking"]["template"] == template.id
    assert result["blocking"]["blocks"] == [{"site": b.site, "side": b.side} for b in template.blocks]
    assert result["blocking"]["source"]["grade"] == "A"


def test_category_one_right_short_leg_geometry(pack: ProtocolPack) -> None:
    right = evaluate(exam(confirmed_category={"category": 1, "side": "right"}), pack)["blocking"]
    assert right["position"] == "prone"
    assert right["blocks"] == [{"site": "iliac-crest", "side": "left"}, {"site": "greater-trochanter", "side": "right"}]
    left = evaluate(exam(confirmed_category={"category": 1, "side": "left"}), pack)["blocking"]
    assert left["blocks"] == [{"site": "iliac-crest", "side": "right"}, {"site": "greater-trochanter", "side": "left"}]


@pytest.mark.parametrize(("category", "side"), [(2, "right"), (2, "left"), (3, "left"), (1, "bilateral"), (1, None)])
def test_no_invented_template_where_the_sources_are_silent(category: int, side: str | None, pack: ProtocolPack) -> None:
    result = evaluate(exam(confirmed_category={"category": category, "side": side}), pack)
    assert result["blocking"] is None
    assert "place the blocks yourself" in result["blocking_reason"].lower()


def test_nothing_confirmed_means_no_template(pack: ProtocolPack) -> None:
    result = evaluate(exam(), pack)
    assert result["blocking"] is None and "confirm" in result["blocking_reason"]


@pytest.mark.parametrize(
    ("regions", "cpt"),
    [
        ([], None),
        (["cervical"], "98940"),
        (["cervical", "pelvic"], "98940"),
        (["cervical", "thoracic", "lumbar"], "98941"),
        (["cervical", "thoracic", "lumbar", "sacral"], "98941"),
        (["cervical", "thoracic", "lumbar", "sacral", "pelvic"], "98942"),
    ],
)
def test_cpt_from_distinct_spinal_regions(regions: list[str], cpt: str | None, pack: ProtocolPack) -> None:
    result = evaluate(exam(treatment={"spinal_regions": regions}), pack)
    assert result["coding"]["cpt_spinal"] == cpt
    assert [i["code"] for i in result["coding"]["icd10"]] == [
        {"cervical": "M99.01", "thoracic": "M99.02", "lumbar": "M99.03", "sacral": "M99.04", "pelvic": "M99.05"}[r]
        for r in ["cervical", "thoracic", "lumbar", "sacral", "pelvic"]
        if r in regions
    ]


def test_extraspinal_regions_code_98943_and_medicare_says_not_covered(pack: ProtocolPack) -> None:
    plain = evaluate(exam(treatment={"extraspinal_regions": ["head"]}), pack)
    assert plain["coding"]["cpt_extraspinal"] == "98943" and plain["coding"]["icd10"][0]["code"] == "M99.00"
    none = evaluate(exam(), pack)
    assert none["coding"]["cpt_extraspinal"] is None
    medicare = evaluate(exam(payer="medicare", treatment={"extraspinal_regions": ["head"]}), pack)
    assert any("not covered" in n for n in medicare["coding"]["notes"])


@pytest.mark.parametrize(
    ("elements", "met"),
    [
        ({"P", "A"}, True),
        ({"P", "R"}, True),
        ({"A", "R"}, True),
        ({"P", "T"}, False),
        ({"A"}, False),
        ({"P", "A", "R", "T"}, True),
        (set(), False),
    ],
)
def test_part_needs_two_of_four_with_a_or_r(elements: set[str], met: bool, pack: ProtocolPack) -> None:
    codes = {"P": "part-pain", "A": "part-asymmetry", "R": "part-rom", "T": "part-tissue"}
    findings = [pre(codes[e], region="lumbar", level="L4") for e in sorted(elements)]
    assert evaluate(exam(*findings), pack)["part"]["met"] is met


@pytest.mark.parametrize(
    ("care", "abn", "modifier"), [("active", False, "AT"), ("maintenance", True, "GA"), ("maintenance", False, "GZ")]
)
def test_medicare_modifiers(care: str, abn: bool, modifier: str, pack: ProtocolPack) -> None:
    result = evaluate(
        exam(payer="medicare", treatment={"spinal_regions": ["lumbar"], "care_type": care, "abn_on_file": abn}), pack
    )
    assert result["coding"]["modifiers"] == [modifier]
    cash = evaluate(exam(payer="cash", treatment={"spinal_regions": ["lumbar"]}), pack)
    assert cash["coding"]["modifiers"] == []


def test_blocking_without_pelvic_region_is_flagged_for_compliance(pack: ProtocolPack) -> None:
    result = evaluate(exam(treatment={"blocks": [{"site": "iliac-crest", "side": "left"}]}), pack)
    assert any("compliance review" in n for n in result["coding"]["notes"])
    with_pelvic = evaluate(
        exam(treatment={"blocks": [{"site": "iliac-crest", "side": "left"}], "spinal_regions": ["pelvic"]}), pack
    )
    assert not with_pelvic["coding"]["notes"]
