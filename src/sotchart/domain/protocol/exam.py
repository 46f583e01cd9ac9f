"""The engine's input: an examination as sotchart's codes, checked against the pack field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sotchart.domain import vocabulary as v
from sotchart.domain.errors import InvalidInput, Problems
from sotchart.domain.findings import identity
from sotchart.domain.protocol import schema
from sotchart.domain.protocol.pack import Indicator, ProtocolPack

VERTEBRA = re.compile(rf"^{schema.VERTEBRA}$")  # one definition of a vertebra's name, the pack's
# The region a vertebra's letter names: a PART finding at T8 is thoracic, whatever the region box said.
REGION_OF_LETTER = {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral"}
LIMITS = {"systolic": (50, 300), "diastolic": (20, 200), "pulse": (20, 250)}
TOP_KEYS = ("patient", "payer", "history", "vitals", "findings", "treatment", "confirmed_category")


@dataclass(frozen=True)
class Finding:
    code: str
    phase: str
    value: str
    side: str | None = None
    location: str | None = None
    grade: int | None = None
    mm: float | None = None
    region: str | None = None
    level: str | None = None
    line: int | None = None
    area: int | None = None
    point: int | str | None = None

    def key(self) -> tuple[str, ...]:
        """Which indicator this is, so a post-treatment finding meets its pre-treatment one (findings.identity)."""
        return identity({"code": self.code, **self.describe()})

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value}
        for name in ("side", "location", "grade", "mm", "region", "level", "line", "area", "point"):
            val = getattr(self, name)
            if val is not None:
                out[name] = val
        return out


@dataclass(frozen=True)
class PlacedBlock:
    site: str
    side: str
    note: str = ""


@dataclass
class Exam:
    age: int | None = None
    sex: str = "unknown"
    pregnant: bool = False
    payer: str = "cash"
    red_flags: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    symptoms: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    spinal_regions: tuple[str, ...] = ()
    extraspinal_regions: tuple[str, ...] = ()
    blocks: tuple[PlacedBlock, ...] = ()
    procedures: tuple[str, ...] = ()
    care_type: str = "active"
    abn_on_file: bool = False
    confirmed_category: int | None = None
    confirmed_side: str | None = None
    notes: list[str] = field(default_factory=list)


def _obj(p: Problems, data: Any, name: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        p.add(name, "must be an object")
        return {}
    return data


def _unknown(p: Problems, data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            p.add(f"{name}.{key}" if name else key, f"is not a known field; use: {', '.join(allowed)}")


def _codes(p: Problems, data: Any, name: str, allowed: Any) -> tuple[str, ...]:
    if data is None:
        return ()
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        p.add(name, "must be a list of codes")
        return ()
    for i, code in enumerate(data):
        if code not in allowed:
            p.add(f"{name}[{i}]", f"unknown code '{code}'; allowed: {', '.join(sorted(allowed))}")
    return tuple(dict.fromkeys(data))


def _int(p: Problems, data: dict[str, Any], key: str, name: str, low: int, high: int) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        p.add(name, f"must be a whole number from {low} to {high}")
        return None
    if not low <= value <= high:
        p.add(name, f"{value} is outside what a body can have ({low}–{high}); check the reading")
        return None
    return value


def parse_exam(data: Any, pack: ProtocolPack) -> Exam:
    """Check every field against the pack; InvalidInput names each field with the allowed values."""
    p = Problems()
    if not isinstance(data, dict):
        raise InvalidInput("The exam must be a JSON object.", [])
    _unknown(p, data, "", TOP_KEYS)
    exam = Exam()
    patient = _obj(p, data.get("patient"), "patient")
    _unknown(p, patient, "patient", ("age", "sex", "pregnant"))
    exam.age = _int(p, patient, "age", "patient.age", 0, 125)
    sex = patient.get("sex", "unknown")
    if sex not in ("female", "male", "other", "unknown"):
        p.add("patient.sex", "must be one of: female, male, other, unknown")
    else:
        exam.sex = sex
    pregnant = patient.get("pregnant", False)
    if not isinstance(pregnant, bool):
        p.add("patient.pregnant", "must be true or false")
    else:
        exam.pregnant = pregnant
    payer = data.get("payer", "cash")
    if payer not in v.PAYERS:
        p.add("payer", f"must be one of: {', '.join(v.PAYERS)}")
    else:
        exam.payer = payer
    history = _obj(p, data.get("history"), "history")
    _unknown(p, history, "history", ("red_flags", "conditions"))
    exam.red_flags = _codes(p, history.get("red_flags"), "history.red_flags", pack.red_flags)
    exam.conditions = _codes(p, history.get("conditions"), "history.conditions", pack.conditions)
    for i, code in enumerate(exam.red_flags):
        if code in pack.red_flags and pack.red_flags[code].applies_when == "pregnant" and not exam.pregnant:
            p.add(f"history.red_flags[{i}]", f"'{code}' is a red flag of pregnancy; record the pregnancy first")
    _vitals(p, _obj(p, data.get("vitals"), "vitals"), exam, pack)
    _findings(p, data.get("findings"), exam, pack)
    _treatment(p, _obj(p, data.get("treatment"), "treatment"), exam, pack)
    _confirmed(p, data.get("confirmed_category"), exam)
    p.raise_if_any("The exam has entries to fix.")
    return exam


def _vitals(p: Problems, vitals: dict[str, Any], exam: Exam, pack: ProtocolPack) -> None:
    _unknown(p, vitals, "vitals", ("systolic", "diastolic", "pulse", "symptoms"))
    for key in ("systolic", "diastolic", "pulse"):
        low, high = LIMITS[key]
        setattr(exam, key, _int(p, vitals, key, f"vitals.{key}", low, high))
    if (exam.systolic is None) != (exam.diastolic is None) and not p.items:
        p.add("vitals", "give both systolic and diastolic, or neither")
    if exam.systolic is not None and exam.diastolic is not None and exam.diastolic >= exam.systolic:
        p.add("vitals.diastolic", "must be lower than the systolic; check whether the two were swapped")
    exam.symptoms = _codes(p, vitals.get("symptoms"), "vitals.symptoms", pack.symptoms)


FINDING_KEYS = ("code", "phase", "value", "side", "location", "grade", "mm", "region", "level", "line", "area", "point")


def _findings(p: Problems, raw: Any, exam: Exam, pack: ProtocolPack) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        p.add("findings", "must be a list")
        return
    found: list[tuple[int, Finding]] = []  # with the position the caller gave, for messages
    for i, item in enumerate(raw):
        name = f"findings[{i}]"
        if not isinstance(item, dict):
            p.add(name, "must be an object with code, phase and value")
            continue
        _unknown(p, item, name, FINDING_KEYS)
        code = item.get("code")
        if code not in pack.indicators:
            p.add(f"{name}.code", f"unknown code '{code}'; allowed: {', '.join(sorted(pack.indicators))}")
            continue
        f = _finding(p, name, item, pack.indicators[code])
        if f is not None:
            found.append((i, f))
    seen: set[tuple[tuple[Any, ...], str]] = set()
    for i, f in found:
        slot = (f.key(), f.phase)
        if slot in seen:
            p.add(f"findings[{i}]", f"{f.code} is entered twice for the {f.phase} phase; keep one")
        seen.add(slot)
    pre_keys = {f.key() for _, f in found if f.phase == "pre"}
    for i, f in found:
        if f.phase == "post" and f.key() not in pre_keys:
            p.add(
                f"findings[{i}]",
                f"post-treatment {f.code} has no pre-treatment finding to recheck against; "
                "record the pre-treatment finding first",
            )
    exam.findings = tuple(f for _, f in found)


def _finding(p: Problems, name: str, item: dict[str, Any], ind: Indicator) -> Finding | None:
    before = len(p.items)
    phase = item.get("phase")
    if phase not in v.PHASES:
        p.add(f"{name}.phase", "must be pre or post")
    value = item.get("value")
    if value not in ind.values:
        p.add(f"{name}.value", f"'{value}' is not a result of {ind.code}; allowed: {', '.join(ind.values)}")
    side = item.get("side")
    if side is not None:
        if ind.side == "none":
            p.add(f"{name}.side", f"{ind.code} has no side; leave side out")
        elif side not in v.SIDES:
            p.add(f"{name}.side", f"must be one of: {', '.join(v.SIDES)}")
    elif ind.side == "required":
        p.add(f"{name}.side", f"{ind.code} needs a side: {', '.join(v.SIDES)}")
    location = item.get("location")
    if location is not None and location not in ind.location:
        allowed = ", ".join(ind.location) if ind.location else f"none ({ind.code} has no location)"
        p.add(f"{name}.location", f"'{location}' is not allowed; allowed: {allowed}")
    grade = _ranged(p, item, "grade", name, ind.grade, ind.code)
    line = _ranged(p, item, "line", name, ind.line, ind.code)
    area = _ranged(p, item, "area", name, ind.area, ind.code)
    mm = item.get("mm")
    if mm is not None:
        if not ind.mm:
            p.add(f"{name}.mm", f"{ind.code} is not measured in mm; leave mm out")
        elif not isinstance(mm, int | float) or isinstance(mm, bool) or not 0 <= mm <= 50:
            p.add(f"{name}.mm", "must be a number of millimetres from 0 to 50")
    point = item.get("point")
    if point is not None:
        if ind.point is not None:
            point = _ranged(p, item, "point", name, ind.point, ind.code)
        elif ind.point_labels:
            if not isinstance(point, str) or not re.fullmatch(ind.point_labels, point):
                p.add(f"{name}.point", f"must be a point label such as T5A (pattern {ind.point_labels})")
        else:
            p.add(f"{name}.point", f"{ind.code} has no points; leave point out")
    level = item.get("level")
    if level is not None:
        if ind.level and level not in ind.level:
            p.add(f"{name}.level", f"'{level}' is not allowed; allowed: {', '.join(ind.level)}")
        elif not ind.level and not ind.level_free:
            p.add(f"{name}.level", f"{ind.code} has no level; leave level out")
        elif ind.level_free and (not isinstance(level, str) or not VERTEBRA.match(level)):
            p.add(f"{name}.level", "must be a vertebra such as C5, T8 or L4")
    region = item.get("region")
    if region is not None and (not ind.region or region not in v.REGIONS):
        allowed = ", ".join(v.REGIONS) if ind.region else f"none ({ind.code} has no region)"
        p.add(f"{name}.region", f"'{region}' is not allowed; allowed: {allowed}")
    if ind.region and region is None:
        p.add(f"{name}.region", f"{ind.code} needs the region: {', '.join(v.REGIONS)}")
    if isinstance(region, str) and isinstance(level, str) and VERTEBRA.match(level):
        own = REGION_OF_LETTER[level[0]]
        if own != region and not (region == "pelvic" and own == "sacral"):
            p.add(f"{name}.level", f"{level} is {own}, not {region}: choose the {own} region or a {region} level")
    if len(p.items) > before:
        return None
    return Finding(
        ind.code,
        str(phase),
        str(value),
        side,
        location,
        grade,
        float(mm) if mm is not None else None,
        region,
        level,
        line,
        area,
        point,
    )


def _ranged(
    p: Problems, item: dict[str, Any], key: str, name: str, bounds: tuple[int, int] | None, code: str
) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if bounds is None:
        p.add(f"{name}.{key}", f"{code} has no {key}; leave {key} out")
        return None
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        p.add(f"{name}.{key}", f"the {key} must be a whole number from {low} to {high} (you entered {value!r})")
        return None
    return value


def _treatment(p: Problems, t: dict[str, Any], exam: Exam, pack: ProtocolPack) -> None:
    _unknown(
        p, t, "treatment", ("spinal_regions", "extraspinal_regions", "blocks", "procedures", "care_type", "abn_on_file")
    )
    exam.spinal_regions = _codes(p, t.get("spinal_regions"), "treatment.spinal_regions", v.SPINAL_REGIONS)
    exam.extraspinal_regions = _codes(
        p, t.get("extraspinal_regions"), "treatment.extraspinal_regions", v.EXTRASPINAL_REGIONS
    )
    exam.procedures = _codes(p, t.get("procedures"), "treatment.procedures", pack.procedures)
    care = t.get("care_type", "active")
    if care not in ("active", "maintenance"):
        p.add("treatment.care_type", "must be active or maintenance")
    else:
        exam.care_type = care
    abn = t.get("abn_on_file", False)
    if not isinstance(abn, bool):
        p.add("treatment.abn_on_file", "must be true or false")
    else:
        exam.abn_on_file = abn
    blocks = t.get("blocks") or []
    if not isinstance(blocks, list):
        p.add("treatment.blocks", "must be a list of {site, side}")
        return
    placed = []
    for i, b in enumerate(blocks):
        name = f"treatment.blocks[{i}]"
        if not isinstance(b, dict):
            p.add(name, "must be an object with site and side")
            continue
        _unknown(p, b, name, ("site", "side", "note"))
        site, side, note = b.get("site"), b.get("side"), b.get("note", "")
        if site not in pack.block_sites:
            p.add(f"{name}.site", f"unknown block site '{site}'; allowed: {', '.join(pack.block_sites)}")
        elif pack.block_sites[site].needs_note and not (isinstance(note, str) and note.strip()):
            p.add(f"{name}.note", "say where the block lies when the site is 'other'")
        if side not in v.SIDES:
            p.add(f"{name}.side", f"must be one of: {', '.join(v.SIDES)}")
        if not isinstance(note, str) or len(note) > 200:
            p.add(f"{name}.note", "must be text of at most 200 characters")
            note = ""
        placed.append(PlacedBlock(str(site), str(side), note))
    exam.blocks = tuple(placed)


def _confirmed(p: Problems, raw: Any, exam: Exam) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        p.add("confirmed_category", "must be {category: 1|2|3, side} or null")
        return
    _unknown(p, raw, "confirmed_category", ("category", "side"))
    cat = raw.get("category")
    if cat not in (1, 2, 3) or isinstance(cat, bool):
        p.add("confirmed_category.category", "must be 1, 2 or 3")
    else:
        exam.confirmed_category = cat
    side = raw.get("side")
    if side is not None and side not in v.SIDES:
        p.add("confirmed_category.side", f"must be one of: {', '.join(v.SIDES)}, or null")
    else:
        exam.confirmed_side = side
