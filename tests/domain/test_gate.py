"""The safety gate's state machine, driven by every order of decisions Hypothesis can think of: nothing a
clinician clicks opens an emergency, an absolute contraindication opens only with a second person's
confirmation, and a finding that holds treatment always holds it until a decision covers it."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sotchart.domain import gate as gates
from sotchart.domain.errors import Conflict, InvalidInput
from sotchart.domain.protocol.engine import evaluate
from sotchart.services import protocol
from tests.domain.protocol.exams import exam

PACK = protocol.load(protocol.SHIPPED)
RED_FLAGS = sorted(PACK.red_flags)
CONDITIONS = sorted(PACK.conditions)
REASON = "Discussed with the patient and the GP; only the cervical region, low force, no thrust"

steps = st.lists(
    st.one_of(
        st.tuples(st.just("flag"), st.sampled_from(RED_FLAGS)),
        st.tuples(st.just("condition"), st.sampled_from(CONDITIONS)),
        st.tuples(st.just("withdraw"), st.integers(0, 5)),
        st.tuples(st.just("refer"), st.just("")),
        st.tuples(st.just("override"), st.integers(1, 2)),
        st.tuples(st.just("confirm"), st.integers(1, 2)),
    ),
    max_size=12,
)


def _screen(history: dict[str, list[str]]) -> dict[str, Any]:
    return evaluate(exam(history=history, patient={"pregnant": True}), PACK)["safety"]


@settings(max_examples=300, deadline=None)
@given(steps)
def test_no_order_of_decisions_undoes_the_screen(sequence: list[tuple[str, Any]]) -> None:
    doc: dict[str, Any] = {"history": {"red_flags": [], "conditions": []}, "gate": gates.empty()}
    ever_emergency_referred = False
    for kind, arg in sequence:
        safety = _screen(doc["history"])
        g = gates.decide(safety["flags"], doc["gate"], safety["action"])
        try:
            if kind == "flag" and arg not in doc["history"]["red_flags"]:
                doc["history"]["red_flags"].append(arg)
            elif kind == "condition" and arg not in doc["history"]["conditions"]:
                doc["history"]["conditions"].append(arg)
            elif kind == "withdraw":
                recorded = [("red_flag", c) for c in doc["history"]["red_flags"]]
                recorded += [("condition", c) for c in doc["history"]["conditions"]]
                if recorded:
                    which, code = recorded[arg % len(recorded)]
                    gates.withdraw(
                        doc,
                        g,
                        kind=which,
                        code=code,
                        reason="Ticked by mistake: the patient denies it on asking again",
                        by="a",
                        by_id=1,
                        at="t",
                    )
            elif kind == "refer":
                doc["gate"] = gates.refer(doc["gate"], g, to="GP", reason="Please assess", by="a", by_id=1, at="t")
            elif kind == "override":
                doc["gate"] = gates.override(doc["gate"], g, reason=REASON, by=f"u{arg}", by_id=arg, at="t")
            elif kind == "confirm":
                doc["gate"] = gates.confirm_override(doc["gate"], g, by=f"u{arg}", by_id=arg, at="t")
        except (Conflict, InvalidInput):
            pass  # a refused decision changes nothing
        safety = _screen(doc["history"])
        g = gates.decide(safety["flags"], doc["gate"], safety["action"])
        ever_emergency_referred |= g.state == gates.GateState.EMERGENCY_REFERRED
        actions = {f["action"] for f in safety["flags"]}
        # An emergency finding on record keeps treatment closed, whatever was decided.
        if "emergency-referral" in actions:
            assert g.blocked
        # Once the emergency referral is recorded, the visit stays closed to treatment.
        if ever_emergency_referred:
            assert g.blocked and g.state == gates.GateState.EMERGENCY_REFERRED
        # An absolute contraindication opens only with an override confirmed by someone else.
        if g.absolute and not g.blocked:
            override = doc["gate"]["override"]
            assert override and override.get("confirmed_by_id") not in (None, override.get("by_id"))
        # A holding finding is open only when a decision covers it.
        if not g.blocked and "refer-before-treatment" in actions:
            covered = set((doc["gate"]["override"] or {}).get("flags") or []) | set(
                (doc["gate"]["referral"] or {}).get("flags") or []
            )
            assert set(g.holding) <= covered


def test_an_override_needs_a_reason_of_substance() -> None:
    safety = _screen({"red_flags": ["history-of-cancer"], "conditions": []})
    g = gates.decide(safety["flags"], gates.empty(), safety["action"])
    assert g.state == gates.GateState.ON_HOLD and g.can_override
    try:
        gates.override(gates.empty(), g, reason="Fine, go.", by="a", by_id=1, at="t")
    except InvalidInput as e:
        assert e.problems[0].field == "reason" and str(gates.OVERRIDE_MIN) in e.problems[0].message
    else:
        raise AssertionError("a ten-character override was accepted")


def test_a_referral_does_not_open_treatment_at_a_crisis_reading() -> None:
    # sot-reference §5.4: a crisis-range pressure is a hard stop (recheck after rest, refer). A referral
    # sends the patient for follow-up; the same reading is no safer to treat for it.
    safety = evaluate(exam(vitals={"systolic": 192, "diastolic": 104}), PACK)["safety"]
    assert "bp-crisis" in {f["code"] for f in safety["flags"]}
    g = gates.decide(safety["flags"], gates.empty(), safety["action"])
    referred = gates.refer(gates.empty(), g, to="GP", reason="Please assess the pressure", by="a", by_id=1, at="t")
    after = gates.decide(safety["flags"], referred, safety["action"])
    assert after.blocked and after.state == gates.GateState.ON_HOLD
    assert "referral is recorded" in after.next_step and "lower recheck" in after.next_step
    # The treating clinician may still decide, on the record: no guideline sets a cut-off for manipulation.
    overridden = gates.override(referred, after, reason=REASON, by="a", by_id=1, at="t")
    assert not gates.decide(safety["flags"], overridden, safety["action"]).blocked
    # A red flag that refers before treatment is still lifted by its referral.
    flag = _screen({"red_flags": ["history-of-cancer"], "conditions": []})
    g = gates.decide(flag["flags"], gates.empty(), flag["action"])
    lifted = gates.refer(gates.empty(), g, to="GP", reason="Please assess", by="a", by_id=1, at="t")
    assert gates.decide(flag["flags"], lifted, flag["action"]).state == gates.GateState.REFERRED
