"""Loading, validating, comparing and installing protocol packs (the files are read here, parsed in domain)."""

from __future__ import annotations

import shutil
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sotchart.domain.protocol.pack import ProtocolPack
from sotchart.domain.protocol.reader import PackInvalid, PackProblem
from sotchart.domain.protocol.schema import FILES, parse_pack
from sotchart.settings import Settings

SHIPPED = Path(__file__).parents[1] / "packs" / "sot-public"


def installed_dir(settings: Settings) -> Path:
    return settings.data_dir / "protocol-pack"


def active_dir(settings: Settings) -> Path:
    """The clinic's installed pack when there is one, otherwise the shipped pack."""
    d = installed_dir(settings)
    return d if (d / "pack.toml").exists() else SHIPPED


def read_files(folder: Path) -> dict[str, object]:
    if not folder.is_dir():
        raise PackInvalid([PackProblem(str(folder), "(folder)", "(path)", "is not a folder holding a protocol pack")])
    files: dict[str, object] = {}
    problems = []
    for name in FILES:
        path = folder / name
        if not path.exists():
            problems.append(PackProblem(name, "(file)", "(file)", f"is missing from {folder}"))
            continue
        try:
            files[name] = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            problems.append(PackProblem(name, "(file)", "(syntax)", f"is not valid TOML: {err}"))
        except UnicodeDecodeError:
            problems.append(PackProblem(name, "(file)", "(encoding)", "is not UTF-8 text"))
    if problems:
        raise PackInvalid(problems)
    return files


def load(folder: Path) -> ProtocolPack:
    return _load_cached(folder.resolve(), _stamp(folder))


def _stamp(folder: Path) -> tuple[float, ...]:
    return tuple((folder / n).stat().st_mtime if (folder / n).exists() else 0.0 for n in FILES)


@lru_cache(maxsize=8)
def _load_cached(folder: Path, _stamp: tuple[float, ...]) -> ProtocolPack:
    return parse_pack(read_files(folder))


# The active pack is looked up on every use of the engine; its files are looked at again only this often,
# so a pack installed from the console reaches a running server within seconds without ten stat calls
# per request.
RECHECK_SECONDS = 5.0
_seen: dict[Path, tuple[float, Path, tuple[float, ...]]] = {}


def active(settings: Settings) -> ProtocolPack:
    now = time.monotonic()
    seen = _seen.get(settings.data_dir)
    if seen is None or now - seen[0] > RECHECK_SECONDS:
        folder = active_dir(settings)
        seen = (now, folder.resolve(), _stamp(folder))
        _seen[settings.data_dir] = seen
    return _load_cached(seen[1], seen[2])


@dataclass(frozen=True)
class PackDifference:
    table: str
    code: str
    change: str  # added | removed | changed


def compare(old: ProtocolPack, new: ProtocolPack) -> list[PackDifference]:
    """What a pack adds, removes or changes relative to another, table by table."""
    tables: dict[str, tuple[Mapping[str, object], Mapping[str, object]]] = {
        "indicators": (old.indicators, new.indicators),
        "category rules": ({r.id: r for r in old.category_rules}, {r.id: r for r in new.category_rules}),
        "block templates": ({t.id: t for t in old.block_templates}, {t.id: t for t in new.block_templates}),
        "CMRT maps": ({m.id: m for m in old.cmrt_maps}, {m.id: m for m in new.cmrt_maps}),
        "grid points": (
            {f"{g.kind}:{g.key}": g for g in old.grid_points},
            {f"{g.kind}:{g.key}": g for g in new.grid_points},
        ),
        "R+C pairs": ({r.cervical: r for r in old.rc_pairs}, {r.cervical: r for r in new.rc_pairs}),
        "procedures": (old.procedures, new.procedures),
        "red flags": (old.red_flags, new.red_flags),
        "conditions": (old.conditions, new.conditions),
        "evidence notes": ({n.id: n for n in old.evidence}, {n.id: n for n in new.evidence}),
        "sources": (old.sources, new.sources),
    }
    out = []
    for table, (a, b) in tables.items():
        for code in sorted(set(a) | set(b)):
            if code not in a:
                out.append(PackDifference(table, code, "added"))
            elif code not in b:
                out.append(PackDifference(table, code, "removed"))
            elif a[code] != b[code]:
                out.append(PackDifference(table, code, "changed"))
    return out


def install(settings: Settings, folder: Path) -> tuple[ProtocolPack, list[PackDifference]]:
    """Validate a pack, then make it the clinic's active pack (the previous one is kept beside it)."""
    pack = load(folder)
    target = installed_dir(settings)
    previous = active(settings)
    staging = target.with_name("protocol-pack.new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(folder / name, staging / name)
    if target.exists():
        old = target.with_name(f"protocol-pack.{previous.version}.previous")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    _seen.pop(settings.data_dir, None)  # this process uses the new pack at once
    return pack, compare(load(SHIPPED), pack)
