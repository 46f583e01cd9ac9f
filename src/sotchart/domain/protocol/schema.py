"""The pack's schema: turns the parsed data files into a ProtocolPack, or PackInvalid naming every problem."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sotchart.domain import vocabulary as v
from sotchart.domain.protocol.pack import (
    Block,
    BlockSite,
    BlockTemplate,
    BloodPressureRules,
    CategoryRule,
    CmrtMap,
    Condition,
    EvidenceNote,
    GridPoint,
    Indicator,
    PositionNote,
    Procedure,
    ProtocolPack,
    Provenance,
    RcPair,
    RedFlag,
    SafetyGroup,
    SimpleRule,
    Source,
    Symptom,
)
from sotchart.domain.protocol.reader import Entry, PackInvalid, PackProblem, Problems

FILES = (
    "pack.toml",
    "sources.toml",
    "indicators.toml",
    "category_evidence.toml",
    "block_templates.toml",
    "cmrt_maps.toml",
    "fibres.toml",
    "procedures.toml",
    "safety.toml",
    "evidence.toml",
)
CODE = r"[a-z0-9]+(-[a-z0-9]+)*"
VERTEBRA = r"(C[1-7]|T([1-9]|1[0-2])|L[1-5]|S[1-5])"
ACTIONS = v.SAFETY_ACTIONS[:3]


class _Parser:
    def __init__(self, files: Mapping[str, Any]) -> None:
        self.files = files
        self.problems = Problems()
        self.sources: dict[str, Source] = {}

    def rows(self, file: str, key: str) -> list[tuple[str, Entry]]:
        data = self.files.get(file)
        if data is None:
            self.problems.items.append(PackProblem(file, "(file)", "(file)", "is missing from the pack"))
            return []
        raw = data.get(key, [])
        if not isinstance(raw, list):
            self.problems.items.append(PackProblem(file, f"[[{key}]]", "(table)", "must be an array of tables"))
            return []
        out = []
        for i, row in enumerate(raw, start=1):
            label = f"{key} #{i}"
            if isinstance(row, dict):
                for k in ("code", "id"):
                    if isinstance(row.get(k), str):
                        label = f"{key} '{row[k]}'"
                        break
            out.append((label, Entry(self.problems, file, label, row)))
        return out

    def single(self, file: str, key: str) -> Entry | None:
        data = self.files.get(file) or {}
        if key not in data:
            self.problems.items.append(PackProblem(file, f"[{key}]", "(table)", "is required"))
            return None
        return Entry(self.problems, file, f"[{key}]", data[key])

    def prov(self, e: Entry) -> Provenance:
        ids = e.texts("sources")
        if not ids:
            e.fail("sources", "name at least one source (an id from sources.toml)")
        found = []
        for sid in ids:
            if sid not in self.sources:
                e.fail("sources", f"'{sid}' is not in sources.toml")
            else:
                found.append(self.sources[sid])
        unverified = e.flag("unverified")
        if any(s.grade == "BK" for s in found) and not unverified:
            e.fail("unverified", "must be true for a row that rests on background knowledge (grade BK)")
        reviewed_by = e.text("reviewed_by", required=False)
        return Provenance(tuple(found) or (Source("missing", "missing", "", "BK"),), reviewed_by, unverified)


def _unique(p: _Parser, file: str, items: list[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for label, code in items:
        if code in seen:
            p.problems.items.append(PackProblem(file, label, "code", f"'{code}' appears twice; codes are unique"))
        seen.add(code)


def parse_pack(files: Mapping[str, Any]) -> ProtocolPack:
    p = _Parser(files)
    head = Entry(p.problems, "pack.toml", "pack", files.get("pack.toml", {}))
    pack = ProtocolPack(
        name=head.text("name", pattern=CODE),
        version=head.text("version", pattern=r"[0-9][0-9A-Za-z.+-]*"),
        title=head.text("title"),
        description=head.text("description", required=False),
    )
    head.check_unknown()
    _sources(p, pack)
    _indicators(p, pack)
    _categories(p, pack)
    _blocks(p, pack)
    _maps(p, pack)
    _procedures(p, pack)
    _safety(p, pack)
    _evidence(p, pack)
    _vocabulary_kept(p, pack)
    if p.problems.items:
        raise PackInvalid(p.problems.items)
    return pack


def _sources(p: _Parser, pack: ProtocolPack) -> None:
    for _label, e in p.rows("sources.toml", "source"):
        sid = e.text("id", pattern=CODE)
        grade = e.text("grade")
        if grade == "U":
            e.fail("grade", "unreliable [U] sources are never encoded; find a graded source or leave the rule out")
        elif grade not in v.GRADES:
            e.fail("grade", f"'{grade}' is not one of: {', '.join(v.GRADES)}")
        s = Source(sid, e.text("title"), e.text("url", required=False), grade, e.text("note", required=False))
        if sid in p.sources:
            e.fail("id", f"'{sid}' appears twice")
        p.sources[sid] = s
        e.check_unknown()
    pack.sources = dict(p.sources)


def _indicators(p: _Parser, pack: ProtocolPack) -> None:
    rows = p.rows("indicators.toml", "indicator")
    for _label, e in rows:
        code = e.text("code", pattern=CODE)
        values = e.texts("values")
        if not values:
            e.fail("values", "list at least one value")
        normal = e.text("normal", required=False) or None
        if normal is not None and normal not in values:
            e.fail("normal", f"'{normal}' must be one of the values")
        pattern = e.text("point_labels", required=False)
        if pattern:
            try:
                re.compile(pattern)
            except re.error as err:
                e.fail("point_labels", f"is not a valid pattern ({err})")
        ind = Indicator(
            code=code,
            name=e.text("name"),
            group=e.text("group", choices=("standing", "prone", "supine", "fibres", "cranial-tmj", "part")),
            how=e.text("how"),
            values=values,
            normal=normal,
            side=e.text("side", choices=("none", "optional", "required")),
            prov=p.prov(e),
            side_meaning=e.text("side_meaning", required=False),
            location=e.texts("location", required=False),
            grade=e.int_range("grade"),
            mm=e.flag("mm"),
            line=e.int_range("line"),
            area=e.int_range("area"),
            point=e.int_range("point"),
            point_labels=pattern,
            level=e.texts("level", required=False),
            region=e.flag("region"),
            level_free=e.flag("level_free"),
            not_found=e.text("not_found", required=False),
            sided_values=e.texts("sided_values", required=False, choices=values),
        )
        e.check_unknown()
        pack.indicators[code] = ind
    _unique(p, "indicators.toml", [(label, e.data.get("code", "")) for label, e in rows])


def _categories(p: _Parser, pack: ProtocolPack) -> None:
    for _label, e in p.rows("category_evidence.toml", "rule"):
        ind = e.text("indicator")
        value = e.text("value")
        if ind not in pack.indicators:
            e.fail("indicator", f"'{ind}' is not in indicators.toml")
        elif value not in pack.indicators[ind].values:
            e.fail("value", f"'{value}' is not a value of {ind}: {', '.join(pack.indicators[ind].values)}")
        location = e.text("location", required=False)
        if location and ind in pack.indicators and location not in pack.indicators[ind].location:
            e.fail("location", f"'{location}' is not a location of {ind}")
        pack.category_rules.append(
            CategoryRule(
                e.text("id", pattern=CODE),
                ind,
                value,
                e.integer("category", low=1, high=3),
                e.flag("side_from_finding"),
                e.text("meaning"),
                p.prov(e),
                location,
            )
        )
        e.check_unknown()


def _blocks(p: _Parser, pack: ProtocolPack) -> None:
    f = "block_templates.toml"
    for _label, e in p.rows(f, "site"):
        site = BlockSite(e.text("code", pattern=CODE), e.text("name"), e.flag("needs_note"))
        pack.block_sites[site.code] = site
        e.check_unknown()
    for _label, e in p.rows(f, "template"):
        blocks = []
        for i, raw in enumerate(e.rows("blocks"), start=1):
            b = Entry(p.problems, f, f"{e.label} block #{i}", raw)
            site_code = b.text("site")
            if site_code not in pack.block_sites:
                b.fail("site", f"'{site_code}' is not a [[site]] of this file")
            blocks.append(Block(site_code, b.text("side", choices=v.SIDES)))
            b.check_unknown()
        pack.block_templates.append(
            BlockTemplate(
                e.text("id", pattern=CODE),
                e.integer("category", low=1, high=3),
                e.text("side", choices=v.SIDES),
                e.text("side_meaning", required=False),
                e.text("position", choices=v.POSITIONS),
                tuple(blocks),
                p.prov(e),
            )
        )
        e.check_unknown()
    for _label, e in p.rows(f, "position"):
        note = PositionNote(
            e.integer("category", low=1, high=3),
            e.text("position", choices=v.POSITIONS),
            e.text("note", required=False),
            p.prov(e),
        )
        pack.positions[note.category] = note
        e.check_unknown()


def _maps(p: _Parser, pack: ProtocolPack) -> None:
    for _label, e in p.rows("cmrt_maps.toml", "map"):
        levels = e.table("levels")
        for level, organ in levels.items():
            if not re.fullmatch(VERTEBRA, level) or not isinstance(organ, str):
                e.fail("levels", f"'{level}' must be a vertebra (C1–S5) mapped to text")
        pack.cmrt_maps.append(CmrtMap(e.text("id", pattern=CODE), e.text("name"), dict(levels), p.prov(e)))
        e.check_unknown()
    f = "fibres.toml"
    for _label, e in p.rows(f, "occipital"):
        key = f"line {e.integer('line', low=1, high=20)}, area {e.integer('area', low=1, high=20)}"
        pack.grid_points.append(
            GridPoint("occipital", key, e.text("vertebra", pattern=VERTEBRA), e.text("meaning"), p.prov(e))
        )
        e.check_unknown()
    for _label, e in p.rows(f, "ts_point"):
        pack.grid_points.append(
            GridPoint("ts", e.text("point"), e.text("vertebra", pattern=VERTEBRA), e.text("meaning"), p.prov(e))
        )
        e.check_unknown()
    for _label, e in p.rows(f, "trapezius"):
        pack.trapezius = {
            "points": e.integer("points", low=1, high=20),
            "from": e.text("from"),
            "to": e.text("to"),
            "maps_to": e.text("maps_to"),
            "prov": p.prov(e),
        }
        e.check_unknown()
    for _label, e in p.rows(f, "rc_pair"):
        pack.rc_pairs.append(
            RcPair(e.text("cervical", pattern=VERTEBRA), e.text("paired", pattern=VERTEBRA), p.prov(e))
        )
        e.check_unknown()


def _procedures(p: _Parser, pack: ProtocolPack) -> None:
    for _label, e in p.rows("procedures.toml", "procedure"):
        proc = Procedure(
            e.text("code", pattern=CODE),
            e.text("name"),
            e.text("kind", choices=("sot", "manipulation")),
            e.texts("regions", choices=v.REGIONS),
            p.prov(e),
            e.text("snomed", required=False),
            e.text("note", required=False),
        )
        pack.procedures[proc.code] = proc
        e.check_unknown()


def _safety(p: _Parser, pack: ProtocolPack) -> None:
    f = "safety.toml"
    for _label, e in p.rows(f, "group"):
        g = SafetyGroup(e.text("code", pattern=CODE), e.text("name"), e.text("action", choices=ACTIONS), p.prov(e))
        pack.safety_groups[g.code] = g
        e.check_unknown()
    for _label, e in p.rows(f, "red_flag"):
        group = e.text("group")
        if group not in pack.safety_groups:
            e.fail("group", f"'{group}' is not a [[group]] of safety.toml")
        rf = RedFlag(
            e.text("code", pattern=CODE),
            group,
            e.text("name"),
            p.prov(e),
            e.text("applies_when", required=False, choices=("", "pregnant")),
            e.text("ask", required=False),
        )
        pack.red_flags[rf.code] = rf
        e.check_unknown()
    for _label, e in p.rows(f, "condition"):
        kind = e.text("kind", choices=("absolute", "relative"))
        # By default an absolute contraindication holds treatment until referral; a pack may make one an
        # emergency (cauda equina syndrome), never milder than its kind.
        default = "refer-before-treatment" if kind == "absolute" else "caution"
        action = e.text("action", required=False, choices=("", *ACTIONS)) or default
        if ACTIONS.index(action) > ACTIONS.index(default):
            e.fail("action", f"an {kind} contraindication cannot be milder than {default}")
        c = Condition(
            e.text("code", pattern=CODE), e.text("name"), kind, p.prov(e), action, e.text("ask", required=False)
        )
        pack.conditions[c.code] = c
        e.check_unknown()
    for _label, e in p.rows(f, "symptom"):
        s = Symptom(e.text("code", pattern=CODE), e.text("name"), p.prov(e))
        pack.symptoms[s.code] = s
        e.check_unknown()
    bp = p.single(f, "blood_pressure")
    if bp:
        pack.blood_pressure = BloodPressureRules(
            bp.integer("crisis_systolic_above", low=120, high=260),
            bp.integer("crisis_diastolic_above", low=80, high=160),
            bp.text("crisis_action", choices=ACTIONS),
            bp.text("crisis_with_symptom_action", choices=ACTIONS),
            bp.text("stage2_action", choices=(*ACTIONS, "clear")),
            p.prov(bp),
        )
        bp.check_unknown()
    preg = p.single(f, "pregnancy")
    if preg:
        pack.pregnancy = SimpleRule(preg.text("name"), preg.text("action", choices=ACTIONS), p.prov(preg))
        preg.check_unknown()
    age = p.single(f, "age")
    if age:
        pack.age = SimpleRule(
            age.text("name"),
            age.text("action", choices=ACTIONS),
            p.prov(age),
            over=age.integer("over", low=1, high=120),
            under=age.integer("under", low=0, high=120),
        )
        age.check_unknown()


def _evidence(p: _Parser, pack: ProtocolPack) -> None:
    for _label, e in p.rows("evidence.toml", "note"):
        pack.evidence.append(EvidenceNote(e.text("id", pattern=CODE), e.texts("about"), e.text("text"), p.prov(e)))
        e.check_unknown()


def _vocabulary_kept(p: _Parser, pack: ProtocolPack) -> None:
    """A pack may add codes but never drop a published one."""
    for file, have, needed in (
        ("indicators.toml", pack.indicators, v.FINDING_CODES),
        ("safety.toml", pack.red_flags, v.RED_FLAG_CODES),
        ("safety.toml", pack.conditions, v.CONDITION_CODES),
        ("safety.toml", pack.symptoms, v.SYMPTOM_CODES),
        ("block_templates.toml", pack.block_sites, v.BLOCK_SITES),
    ):
        for code in needed:
            if code not in have:
                p.problems.items.append(
                    PackProblem(file, f"'{code}'", "code", "is a published sotchart code and must stay in the pack")
                )
