"""Protocol packs: a broken pack names file, entry and field; a clinic's own pack installs and is compared."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sotchart.domain.protocol.reader import PackInvalid
from sotchart.services import protocol
from tests.support import cli


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "my-pack"
    shutil.copytree(protocol.SHIPPED, dest)
    return dest


def _problems(folder: Path) -> list[str]:
    with pytest.raises(PackInvalid) as e:
        protocol.load(folder)
    return [str(p) for p in e.value.problems]


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_shipped_pack_is_valid_and_every_row_has_a_source() -> None:
    pack = protocol.load(protocol.SHIPPED)
    rows = [
        *pack.indicators.values(),
        *pack.category_rules,
        *pack.block_templates,
        *pack.cmrt_maps,
        *pack.rc_pairs,
        *pack.procedures.values(),
        *pack.red_flags.values(),
        *pack.conditions.values(),
        *pack.evidence,
    ]
    assert all((r.prov.sources and r.prov.best.grade in "ABCD") or r.prov.unverified for r in rows)
    assert all(s.grade != "U" for s in pack.sources.values())


def test_wrong_value_names_file_entry_and_field(pack_copy: Path) -> None:
    _edit(pack_copy, "category_evidence.toml", 'value = "locked"', 'value = "frozen"')
    assert any(
        "category_evidence.toml" in p and "cat1-locked-pelvis" in p and "'value'" in p for p in _problems(pack_copy)
    )


def test_unknown_source_and_missing_field(pack_copy: Path) -> None:
    _edit(pack_copy, "indicators.toml", 'sources = ["dejarnette-1984"]\n', 'sources = ["my-notes"]\n')
    _edit(pack_copy, "safety.toml", 'name = "Fever or chills"\n', "")
    problems = _problems(pack_copy)
    assert any("'my-notes' is not in sources.toml" in p for p in problems)
    assert any("red_flag 'fever'" in p and "'name'" in p and "required" in p for p in problems)


def test_unreliable_source_is_refused(pack_copy: Path) -> None:
    _edit(pack_copy, "sources.toml", 'grade = "C"', 'grade = "U"')
    assert any("unreliable" in p for p in _problems(pack_copy))


def test_background_knowledge_must_be_marked_unverified(pack_copy: Path) -> None:
    text = (pack_copy / "safety.toml").read_text()
    (pack_copy / "safety.toml").write_text(
        text.replace(
            'code = "pulsatile-abdominal-mass"\ngroup = "abdominal-aneurysm"\nname = "Pulsatile abdominal mass"\n'
            'sources = ["sotchart-reference"]\nunverified = true',
            'code = "pulsatile-abdominal-mass"\ngroup = "abdominal-aneurysm"\nname = "Pulsatile abdominal mass"\n'
            'sources = ["sotchart-reference"]',
            1,
        )
    )
    assert any("pulsatile-abdominal-mass" in p and "unverified" in p for p in _problems(pack_copy))


def test_a_published_code_cannot_be_dropped(pack_copy: Path) -> None:
    text = (pack_copy / "safety.toml").read_text()
    start = text.index('[[red_flag]]\ncode = "nausea"')
    end = text.index("[[red_flag]]", start + 5)
    (pack_copy / "safety.toml").write_text(text[:start] + text[end:])
    assert any("'nausea'" in p and "published" in p for p in _problems(pack_copy))


def test_toml_syntax_error_is_a_message_not_a_traceback(pack_copy: Path) -> None:
    (pack_copy / "fibres.toml").write_text("[[occipital]\nline = ")
    assert any("fibres.toml" in p and "not valid TOML" in p for p in _problems(pack_copy))


def test_validate_show_install_from_the_command_line(fresh_app, pack_copy: Path) -> None:  # type: ignore[no-untyped-def]
    ok = cli.run(fresh_app, "protocol", "validate", str(pack_copy))
    assert ok.returncode == 0 and "is valid" in ok.stdout
    _edit(pack_copy, "pack.toml", 'version = "2026.11.1"', 'version = "2026.12.0-clinic"')
    _edit(
        pack_copy,
        "fibres.toml",
        'cervical = "C3"\npaired = "L3"\nsources = ["jcca-2015-rc"]\nunverified = true',
        'cervical = "C3"\npaired = "L3"\nsources = ["jcca-2015-rc"]\nreviewed_by = "Dr Reviewer, CSP"',
    )
    installed = cli.run(fresh_app, "protocol", "install", str(pack_copy))
    assert installed.returncode == 0, installed.stderr
    assert "changed  R+C pairs: C3" in installed.stdout
    shown = cli.run(fresh_app, "protocol", "show")
    assert "2026.12.0-clinic" in shown.stdout and "changed  R+C pairs: C3" in shown.stdout
    (pack_copy / "indicators.toml").write_text("[[indicator]]\ncode = 'x'\n")
    bad = cli.run(fresh_app, "protocol", "validate", str(pack_copy))
    assert bad.returncode == 2 and "indicators.toml" in bad.stderr and "Traceback" not in bad.stderr
