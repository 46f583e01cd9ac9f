"""The protocol pack's record types: SOT knowledge as data, every row with its sources and grade."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, "BK": 4}


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    grade: str
    note: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "url": self.url, "grade": self.grade}


@dataclass(frozen=True)
class Provenance:
    """Where a row comes from and who has signed it off."""

    sources: tuple[Source, ...]
    reviewed_by: str = ""
    unverified: bool = False

    @property
    def best(self) -> Source:
        """The strongest source, for a one-line citation."""
        return min(self.sources, key=lambda s: GRADE_ORDER[s.grade])

    def cite(self) -> dict[str, Any]:
        s = self.best
        out: dict[str, Any] = {"title": s.title, "url": s.url, "grade": s.grade}
        if self.unverified:
            out["unverified"] = True
        return out


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    group: str
    how: str
    values: tuple[str, ...]
    normal: str | None
    side: str  # none | optional | required
    prov: Provenance
    side_meaning: str = ""
    location: tuple[str, ...] = ()
    grade: tuple[int, int] | None = None
    mm: bool = False
    line: tuple[int, int] | None = None
    area: tuple[int, int] | None = None
    point: tuple[int, int] | None = None
    point_labels: str = ""
    level: tuple[str, ...] = ()
    region: bool = False
    level_free: bool = False
    not_found: str = ""
    sided_values: tuple[str, ...] = ()  # values that take a side; empty: every value but the normal one

    def takes_side(self, value: str) -> bool:
        if self.side == "none":
            return False
        return value in self.sided_values if self.sided_values else value != self.normal


@dataclass(frozen=True)
class CategoryRule:
    id: str
    indicator: str
    value: str
    category: int
    side_from_finding: bool
    meaning: str
    prov: Provenance
    location: str = ""  # when set, only findings at this location (e.g. the upper fossa) count

    def location_matches(self, location: str | None) -> bool:
        return not self.location or self.location == location


@dataclass(frozen=True)
class Block:
    site: str
    side: str


@dataclass(frozen=True)
class BlockTemplate:
    id: str
    category: int
    side: str
    side_meaning: str
    position: str
    blocks: tuple[Block, ...]
    prov: Provenance


@dataclass(frozen=True)
class PositionNote:
    category: int
    position: str
    note: str
    prov: Provenance


@dataclass(frozen=True)
class BlockSite:
    code: str
    name: str
    needs_note: bool = False


@dataclass(frozen=True)
class CmrtMap:
    id: str
    name: str
    levels: dict[str, str]
    prov: Provenance


@dataclass(frozen=True)
class GridPoint:
    """A fibre or reflex point that a source maps to a vertebra."""

    kind: str  # occipital | ts
    key: str  # "line 2, area 6" or "T5A"
    vertebra: str
    meaning: str
    prov: Provenance


@dataclass(frozen=True)
class RcPair:
    cervical: str
    paired: str
    prov: Provenance


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    kind: str
    regions: tuple[str, ...]
    prov: Provenance
    snomed: str = ""
    note: str = ""


@dataclass(frozen=True)
class SafetyGroup:
    code: str
    name: str
    action: str
    prov: Provenance


@dataclass(frozen=True)
class RedFlag:
    code: str
    group: str
    name: str
    prov: Provenance
    applies_when: str = ""
    ask: str = ""  # the question a patient answers on the tablet; "" for what only an examination shows


@dataclass(frozen=True)
class Condition:
    code: str
    name: str
    kind: str  # absolute | relative
    prov: Provenance
    action: str = "caution"  # what the safety screen does when it is recorded
    ask: str = ""  # the question a patient answers on the tablet; "" for what only an examination shows


@dataclass(frozen=True)
class Symptom:
    code: str
    name: str
    prov: Provenance


@dataclass(frozen=True)
class BloodPressureRules:
    crisis_systolic_above: int
    crisis_diastolic_above: int
    crisis_action: str
    crisis_with_symptom_action: str
    stage2_action: str
    prov: Provenance


@dataclass(frozen=True)
class SimpleRule:
    name: str
    action: str
    prov: Provenance
    over: int = 0
    under: int = 0


@dataclass(frozen=True)
class EvidenceNote:
    id: str
    about: tuple[str, ...]
    text: str
    prov: Provenance


@dataclass
class ProtocolPack:
    name: str
    version: str
    title: str
    description: str
    sources: dict[str, Source] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    category_rules: list[CategoryRule] = field(default_factory=list)
    block_templates: list[BlockTemplate] = field(default_factory=list)
    positions: dict[int, PositionNote] = field(default_factory=dict)
    block_sites: dict[str, BlockSite] = field(default_factory=dict)
    cmrt_maps: list[CmrtMap] = field(default_factory=list)
    grid_points: list[GridPoint] = field(default_factory=list)
    trapezius: dict[str, Any] = field(default_factory=dict)
    rc_pairs: list[RcPair] = field(default_factory=list)
    procedures: dict[str, Procedure] = field(default_factory=dict)
    safety_groups: dict[str, SafetyGroup] = field(default_factory=dict)
    red_flags: dict[str, RedFlag] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    symptoms: dict[str, Symptom] = field(default_factory=dict)
    blood_pressure: BloodPressureRules | None = None
    pregnancy: SimpleRule | None = None
    age: SimpleRule | None = None
    evidence: list[EvidenceNote] = field(default_factory=list)

    def evidence_about(self, code: str) -> list[EvidenceNote]:
        return [n for n in self.evidence if code in n.about]

    def rules_for(self, indicator: str, value: str) -> list[CategoryRule]:
        return [r for r in self.category_rules if r.indicator == indicator and r.value == value]
