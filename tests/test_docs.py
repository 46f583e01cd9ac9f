"""The docs are checked against the code: every setting documented, the CLI reference current."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from sotchart.cli import catalogue
from sotchart.cli.reference import markdown, settings_markdown
from sotchart.services import protocol
from sotchart.settings import Settings

DOCS = Path(__file__).parents[1] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    missing = [f"SOTCHART_{name.upper()}" for name in Settings.model_fields if f"`SOTCHART_{name.upper()}`" not in text]
    assert not missing, f"document these in docs/settings.md: {missing}"


def test_settings_page_is_current() -> None:
    assert (DOCS / "settings.md").read_text().strip() == settings_markdown().strip(), (
        "docs/settings.md is stale: run `python -m sotchart.cli.reference settings > docs/settings.md`"
    )


def test_catalogue_is_current() -> None:
    assert (DOCS / "catalogue.md").read_text() == catalogue.markdown(protocol.load(protocol.SHIPPED)), (
        "docs/catalogue.md is stale: run `python -m sotchart.cli.catalogue > docs/catalogue.md`"
    )


def test_every_pack_code_is_documented_for_authors() -> None:
    pack = protocol.load(protocol.SHIPPED)
    text = (DOCS / "catalogue.md").read_text()
    codes = [*pack.indicators, *pack.red_flags, *pack.conditions, *pack.procedures, *pack.block_sites]
    assert [c for c in codes if f"`{c}`" not in text] == []


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text().strip() == markdown().strip(), (
        "docs/cli.md is stale: run `python -m sotchart.cli.reference > docs/cli.md`"
    )


@pytest.mark.parametrize(
    "name",
    [
        "architecture.md",
        "settings.md",
        "cli.md",
        "api.md",
        "deployment.md",
        "protocol-pack.md",
        "catalogue.md",
        "security.md",
    ],
)
def test_linked_docs_exist(name: str) -> None:
    assert (DOCS / name).stat().st_size > 500
    assert f"docs/{name}" in (DOCS.parent / "README.md").read_text()


def test_readme_starts_with_the_two_commands() -> None:
    lines = [ln for ln in (DOCS.parent / "README.md").read_text().splitlines() if ln.startswith("make ")]
    assert [ln.split()[1] for ln in lines[:2]] == ["run", "test"]


def test_production_refuses_a_placeholder_secret() -> None:
    for weak in ("changeme", "x", "short-but-not-a-placeholder"):  # one character was once accepted
        with pytest.raises(ValidationError, match="at least 32 characters"):
            Settings(environment="production", secret_key=weak)
    Settings(environment="production", secret_key="k" * 48)


def test_every_test_the_security_page_names_exists() -> None:
    """docs/security.md promises by naming tests; a promise whose test is gone is not a promise."""
    import re

    text = (DOCS / "security.md").read_text()
    for path, name in re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text):
        file = DOCS.parent / path
        assert file.is_file(), f"docs/security.md names {path}, which does not exist"
        if name:
            assert f"def {name}(" in file.read_text(), f"docs/security.md names {path}::{name}, which does not exist"
