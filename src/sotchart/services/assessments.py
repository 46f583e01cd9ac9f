"""The SOT engine as a use case: the active protocol pack and the clinic's blood-pressure thresholds."""

from __future__ import annotations

from typing import Any

from sotchart.domain.protocol.engine import default_thresholds, evaluate
from sotchart.domain.roles import Action
from sotchart.domain.safety import BPThresholds
from sotchart.services import protocol
from sotchart.services.policy import Actor, require
from sotchart.settings import Settings


def thresholds(settings: Settings) -> BPThresholds:
    pack_default = default_thresholds(protocol.active(settings))
    return BPThresholds(
        settings.bp_crisis_systolic or pack_default.crisis_systolic_above,
        settings.bp_crisis_diastolic or pack_default.crisis_diastolic_above,
    )


def assess(settings: Settings, data: Any) -> dict[str, Any]:
    """For the console: no record is read or written, so nothing is audited."""
    return evaluate(data, protocol.active(settings), thresholds(settings))


def assess_for(settings: Settings, actor: Actor, data: Any) -> dict[str, Any]:
    require(actor, Action.ASSESS)
    return assess(settings, data)
