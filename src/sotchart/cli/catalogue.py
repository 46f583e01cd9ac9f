"""docs/catalogue.md: every rule and code of the shipped protocol pack, generated from the pack itself
(`python -m sotchart.cli.catalogue > docs/catalogue.md`); a test fails when the page is stale."""

from __future__ import annotations

from sotchart.domain.protocol.pack import ProtocolPack, Provenance
from sotchart.services import protocol


def _cite(prov: Provenance) -> str:
    parts = [f"[{s.id}]({s.url}) ({s.grade})" if s.url else f"{s.id} ({s.grade})" for s in prov.sources]
    flags = []
    if prov.unverified:
        flags.append("**unverified**")
    if prov.reviewed_by:
        flags.append(f"reviewed by {prov.reviewed_by}")
    return ", ".join(parts) + (" · " + ", ".join(flags) if flags else "")


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(pack: ProtocolPack) -> str:
    out = [
        f"# Catalogue of the protocol pack: {pack.title}",
        "",
        f"Pack `{pack.name}` version `{pack.version}`. Generated from the pack's files by "
        "`python -m sotchart.cli.catalogue > docs/catalogue.md`; a test fails when it is stale. "
        "Grades: A peer-reviewed or official; B SOT organisation; C practitioner pages; D Applied Kinesiology "
        "(not SOT); BK background knowledge awaiting a source (always marked unverified).",
        "",
        "## Indicators (finding codes)",
        "",
        "| code | name | group | values | fields | sources |",
        "|---|---|---|---|---|---|",
    ]
    for i in pack.indicators.values():
        fields = [f"side ({i.side})" if i.side != "none" else ""]
        fields += ["location: " + "/".join(i.location) if i.location else ""]
        for name in ("grade", "line", "area", "point"):
            rng = getattr(i, name)
            if rng:
                fields.append(f"{name} {rng[0]}–{rng[1]}")
        if i.mm:
            fields.append("mm")
        if i.point_labels:
            fields.append("point label")
        if i.level:
            fields.append("level " + "/".join(i.level))
        if i.region:
            fields.append("region, level")
        out.append(
            f"| `{i.code}` | {_esc(i.name)} | {i.group} | {', '.join(i.values)} | "
            f"{'; '.join(f for f in fields if f)} | {_cite(i.prov)} |"
        )
    notes = [i for i in pack.indicators.values() if i.not_found]
    if notes:
        out += ["", "Not found in the public record:", ""] + [f"- `{i.code}`: {i.not_found}" for i in notes]
    out += [
        "",
        "## Category evidence",
        "",
        "| rule | finding | category | side from finding | meaning | sources |",
        "|---|---|---|---|---|---|",
    ]
    for r in pack.category_rules:
        out.append(
            f"| `{r.id}` | `{r.indicator}` = {r.value} | {r.category} | {'yes' if r.side_from_finding else 'no'}"
            f" | {_esc(r.meaning)} | {_cite(r.prov)} |"
        )
    out += [
        "",
        "## Block templates",
        "",
        "| template | category | side | position | blocks | sources |",
        "|---|---|---|---|---|---|",
    ]
    for t in pack.block_templates:
        blocks = "; ".join(f"{b.site} {b.side}" for b in t.blocks)
        out.append(
            f"| `{t.id}` | {t.category} | {t.side} ({t.side_meaning}) | {t.position} | {blocks} | {_cite(t.prov)} |"
        )
    out += ["", "Positions by category (no geometry sourced beyond the templates above):", ""]
    out += [
        f"- Category {c}: {p.note + ' ' if p.note else ''}{p.position} ({_cite(p.prov)})"
        for c, p in sorted(pack.positions.items())
    ]
    out += [
        "",
        "Block sites: " + ", ".join(f"`{s.code}`" for s in pack.block_sites.values()),
        "",
        "## CMRT reflex maps (kept side by side, never merged)",
        "",
    ]
    levels = sorted({lv for m in pack.cmrt_maps for lv in m.levels}, key=lambda lv: ("CTLS".index(lv[0]), int(lv[1:])))
    out += ["| level | " + " | ".join(m.name for m in pack.cmrt_maps) + " |", "|---|" + "---|" * len(pack.cmrt_maps)]
    for lv in levels:
        out.append(f"| {lv} | " + " | ".join(_esc(m.levels.get(lv, "—")) for m in pack.cmrt_maps) + " |")
    out += [
        "",
        "Sources: " + "; ".join(f"{m.name}: {_cite(m.prov)}" for m in pack.cmrt_maps),
        "",
        "## Fibre and reflex points mapped to a vertebra",
        "",
    ]
    out += [f"- {g.kind} {g.key} → {g.vertebra}: {g.meaning} ({_cite(g.prov)})" for g in pack.grid_points]
    out += [f"- R+C {r.cervical} → {r.paired} ({_cite(r.prov)})" for r in pack.rc_pairs]
    out += ["", "## Procedures", "", "| code | name | regions | note | sources |", "|---|---|---|---|---|"]
    for p in pack.procedures.values():
        out.append(
            f"| `{p.code}` | {_esc(p.name)}{' (SNOMED CT ' + p.snomed + ')' if p.snomed else ''} | "
            f"{', '.join(p.regions)} | {_esc(p.note)} | {_cite(p.prov)} |"
        )
    out += ["", "## Safety: red flags", "", "| code | name | group | action | sources |", "|---|---|---|---|---|"]
    for rf in pack.red_flags.values():
        g = pack.safety_groups[rf.group]
        out.append(f"| `{rf.code}` | {_esc(rf.name)} | {g.name} | {g.action} | {_cite(rf.prov)} |")
    out += [
        "",
        "## Safety: contraindications",
        "",
        "| code | name | kind | action | sources |",
        "|---|---|---|---|---|",
    ]
    for c in pack.conditions.values():
        action = "refer-before-treatment" if c.kind == "absolute" else "caution"
        out.append(f"| `{c.code}` | {_esc(c.name)} | {c.kind} | {action} | {_cite(c.prov)} |")
    bp = pack.blood_pressure
    if bp:
        out += [
            "",
            "## Blood pressure",
            "",
            "Bands (ACC/AHA): normal <120 and <80; elevated 120–129 and <80; stage 1 130–139 or 80–89; "
            "stage 2 ≥140 or ≥90; hypertensive crisis >180 or >120.",
            f"Above {bp.crisis_systolic_above} systolic or {bp.crisis_diastolic_above} diastolic (configurable): "
            f"{bp.crisis_action}; with a target-organ symptom ({', '.join(f'`{s}`' for s in pack.symptoms)}): "
            f"{bp.crisis_with_symptom_action}. Stage 2: {bp.stage2_action}. No reading: caution. "
            f"Sources: {_cite(bp.prov)}",
        ]
    out += ["", "## Evidence notes", ""]
    out += [f"- **{n.id}** ({', '.join(n.about)}): {n.text} ({_cite(n.prov)})" for n in pack.evidence]
    out += ["", "## Sources", "", "| id | title | grade |", "|---|---|---|"]
    for s in pack.sources.values():
        title = f"[{_esc(s.title)}]({s.url})" if s.url else _esc(s.title)
        out.append(f"| `{s.id}` | {title} | {s.grade} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(protocol.load(protocol.SHIPPED)), end="")
