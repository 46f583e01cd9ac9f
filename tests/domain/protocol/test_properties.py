"""Hypothesis: the assessment does not depend on the order of findings, and an emergency always wins."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sotchart.domain.protocol.engine import evaluate
from sotchart.services import protocol
from tests.domain.protocol.exams import exam

PACK = protocol.load(protocol.SHIPPED)
EMERGENCY = sorted(c for c, rf in PACK.red_flags.items() if PACK.safety_groups[rf.group].action == "emergency-referral")
SIMPLE = [
    "posture-pelvis",
    "first-rib-motion",
    "first-rib-tubercle-tender",
    "inguinal-tender",
    "heel-tension",
    "leg-length-prone",
    "sciatica",
    "psoas-tender",
    "tmj",
    "compaction-test",
    "arm-fossa",
]


@st.composite
def findings(draw: st.DrawFn) -> list[dict]:
    codes = draw(st.lists(st.sampled_from(SIMPLE), unique=True, max_size=len(SIMPLE)))
    out = []
    for code in codes:
        ind = PACK.indicators[code]
        f: dict = {"code": code, "phase": "pre", "value": draw(st.sampled_from(ind.values))}
        if ind.side != "none" and draw(st.booleans()):
            f["side"] = draw(st.sampled_from(["left", "right", "bilateral"]))
        if ind.location and draw(st.booleans()):
            f["location"] = draw(st.sampled_from(ind.location))
        if ind.grade and draw(st.booleans()):
            f["grade"] = draw(st.integers(*ind.grade))
        out.append(f)
        if draw(st.booleans()):
            out.append({**f, "phase": "post", "value": draw(st.sampled_from(ind.values))})
    return out


vitals = st.fixed_dictionaries({"systolic": st.integers(90, 230), "diastolic": st.integers(50, 85)})


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    findings(),
    st.randoms(use_true_random=False),
    vitals,
    st.lists(st.sampled_from(sorted(PACK.red_flags)), unique=True, max_size=4),
)
def test_order_of_findings_does_not_matter(fs, rnd, v, flags) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(fs)
    rnd.shuffle(shuffled)
    flags_shuffled = list(flags)
    rnd.shuffle(flags_shuffled)
    # Pregnant, so the pack's red flags of pregnancy may be among them.
    a = evaluate(exam(*fs, vitals=v, history={"red_flags": flags}, patient={"pregnant": True}), PACK)
    b = evaluate(exam(*shuffled, vitals=v, history={"red_flags": flags_shuffled}, patient={"pregnant": True}), PACK)
    assert a == b


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    findings(),
    vitals,
    st.sampled_from(EMERGENCY),
    st.lists(st.sampled_from(sorted(PACK.conditions)), unique=True, max_size=4),
    st.one_of(
        st.none(),
        st.fixed_dictionaries({"category": st.sampled_from([1, 2, 3]), "side": st.sampled_from(["left", "right"])}),
    ),
)
def test_an_emergency_flag_always_wins(fs, v, emergency, conditions, confirmed) -> None:  # type: ignore[no-untyped-def]
    r = evaluate(
        exam(
            *fs,
            vitals=v,
            history={"red_flags": [emergency], "conditions": conditions},
            confirmed_category=confirmed,
            patient={"pregnant": True},
        ),
        PACK,
    )
    assert r["safety"]["action"] == "emergency-referral"
    assert r["safety"]["flags"][0]["action"] == "emergency-referral"
