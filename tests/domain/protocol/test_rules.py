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
    pregnant = {"pregnant": True} if rf.applies_when == "pregnant" else {}
    result = evaluate(exam(history={"red_flags": [code]}, patient=pregnant), pack)
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
    if code == "cauda-equina-syndrome":
        expected = "emergency-referral"  # AHCPR: cauda equina needs emergency referral, as a sign or a condition
    assert c.action == expected and result["safety"]["action"] == expected
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
    part = [pre("part-pain", region="lumbar", level="L4"), pre("part-asymmetry", region="lumbar", level="L4")]
    result = evaluate(
        exam(*part, payer="medicare", treatment={"spinal_regions": ["lumbar"], "care_type": care, "abn_on_file": abn}),
        pack,
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


def test_internal_fixation_is_an_absolute_contraindication(pack: ProtocolPack) -> None:
    # WHO 2005 lists internal fixation / stabilisation devices among the absolute contraindications.
    result = evaluate(exam(history={"conditions": ["internal-fixation"]}), pack)
    assert result["safety"]["flags"][0]["group"] == "contraindication-absolute"
    assert result["safety"]["action"] == "refer-before-treatment"


def test_no_safety_row_cites_an_unreliable_source(pack: ProtocolPack) -> None:
    # The VBI "5 Ds and 3 Ns" came from an AI answer site ([U] by the reference's legend); IFOMPT is cited.
    for rf in pack.red_flags.values():
        assert "unanswered.io" not in " ".join(s.url for s in rf.prov.sources)
    for code in ("diplopia", "dysarthria", "nystagmus", "dizziness"):
        assert [s.id for s in pack.red_flags[code].prov.sources] == ["ifompt-2023"]


def test_an_emergency_offers_no_template_and_codes_nothing(pack: ProtocolPack) -> None:
    result = evaluate(
        exam(
            history={"red_flags": ["saddle-anaesthesia"]},
            confirmed_category={"category": 1, "side": "right"},
            treatment={"spinal_regions": ["lumbar"], "blocks": [{"site": "iliac-crest", "side": "left"}]},
        ),
        pack,
    )
    assert result["safety"]["action"] == "emergency-referral"
    assert result["blocking"] is None and "Emergency referral" in result["blocking_reason"]
    assert result["coding"]["cpt_spinal"] is None and result["coding"]["icd10"] == []


def test_part_is_met_only_within_one_region(pack: ProtocolPack) -> None:
    # Pain at C5 and asymmetry at L4 are two half-findings: neither region has PART.
    split = evaluate(
        exam(pre("part-pain", region="cervical", level="C5"), pre("part-asymmetry", region="lumbar", level="L4")), pack
    )
    assert split["part"]["met"] is False and split["part"]["regions_met"] == []
    assert all(not r["met"] for r in split["part"]["by_region"].values())
    together = evaluate(
        exam(pre("part-pain", region="lumbar", level="L5"), pre("part-asymmetry", region="lumbar", level="L4")), pack
    )
    assert together["part"]["met"] is True and together["part"]["regions_met"] == ["lumbar"]


def test_a_negative_part_element_does_not_count(pack: ProtocolPack) -> None:
    result = evaluate(
        exam(
            pre("part-pain", region="lumbar", level="L5"),
            pre("part-asymmetry", "negative", region="lumbar", level="L4"),
        ),
        pack,
    )
    assert result["part"]["met"] is False and result["part"]["elements"]["A"] is False


def test_medicare_active_care_without_part_gets_no_at(pack: ProtocolPack) -> None:
    result = evaluate(exam(payer="medicare", treatment={"spinal_regions": ["lumbar"]}), pack)
    assert result["coding"]["cpt_spinal"] == "98940" and "AT" not in result["coding"]["modifiers"]
    assert any("PART is not met" in n for n in result["coding"]["notes"])


def test_a_red_flag_of_pregnancy_needs_the_pregnancy(pack: ProtocolPack) -> None:
    import pytest

    from sotchart.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as e:
        evaluate(exam(history={"red_flags": ["preeclampsia-signs"]}), pack)
    assert e.value.problems[0].field == "history.red_flags[0]" and "pregnancy" in e.value.problems[0].message
    pregnant = evaluate(exam(history={"red_flags": ["preeclampsia-signs"]}, patient={"pregnant": True}), pack)
    assert "preeclampsia-signs" in {f["code"] for f in pregnant["safety"]["flags"]}
