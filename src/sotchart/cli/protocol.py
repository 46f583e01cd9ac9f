"""`sotchart evaluate` and `sotchart protocol validate|show|install`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sotchart.cli.console import err, load_settings, out
from sotchart.domain.errors import InvalidInput
from sotchart.domain.protocol.reader import PackInvalid
from sotchart.services import assessments, protocol

protocol_cli = typer.Typer(help="The SOT protocol pack.", no_args_is_help=True)


def _pack_problems(e: PackInvalid) -> None:
    err.print(f"[red]The protocol pack has {len(e.problems)} problem(s):[/red]")
    for problem in e.problems:
        err.print(f"  {problem}")
    raise typer.Exit(2)


def evaluate(exam: Annotated[Path, typer.Argument(help="An exam as JSON ('-' reads standard input)")]) -> None:
    """Assess an exam with the SOT engine and print the assessment as JSON."""
    settings = load_settings()
    try:
        text = sys.stdin.read() if str(exam) == "-" else exam.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        err.print(f"[red]Cannot read {exam}: {e}[/red]")
        raise typer.Exit(2) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        err.print(f"[red]{exam} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.[/red]")
        raise typer.Exit(2) from None
    try:
        result = assessments.assess(settings, data)
    except InvalidInput as e:
        err.print(f"[red]{e.detail}[/red]")
        for p in e.problems:
            err.print(f"  {p.field}: {p.message}")
        raise typer.Exit(2) from None
    except PackInvalid as e:
        _pack_problems(e)
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


@protocol_cli.command("validate")
def validate(path: Path) -> None:
    """Check a pack folder against the schema; exits 2 naming file, entry and field of each problem."""
    try:
        pack = protocol.load(path)
    except PackInvalid as e:
        _pack_problems(e)
    out.print(
        f"{pack.name} {pack.version} is valid: {len(pack.indicators)} indicators, "
        f"{len(pack.category_rules)} category rules, {len(pack.block_templates)} block templates, "
        f"{len(pack.red_flags)} red flags, {len(pack.sources)} sources."
    )


@protocol_cli.command("show")
def show(path: Annotated[Path | None, typer.Argument(help="A pack folder (default: the active pack)")] = None) -> None:
    """Show a pack's contents and what differs from the shipped pack."""
    settings = load_settings()
    folder = path or protocol.active_dir(settings)
    try:
        pack = protocol.load(folder)
    except PackInvalid as e:
        _pack_problems(e)
    out.print(f"[bold]{pack.title}[/bold] ({pack.name} {pack.version}) from {folder}")
    t = Table("indicator", "group", "values", "sources (grade)", "reviewed by")
    for ind in pack.indicators.values():
        t.add_row(
            ind.code,
            ind.group,
            ", ".join(ind.values),
            ", ".join(f"{s.id} ({s.grade})" for s in ind.prov.sources),
            ind.prov.reviewed_by or "—",
        )
    out.print(t)
    diffs = protocol.compare(protocol.load(protocol.SHIPPED), pack)
    if not diffs:
        out.print("Same as the shipped pack.")
    for d in diffs:
        out.print(f"  {d.change:8} {d.table}: {d.code}")


@protocol_cli.command("install")
def install(path: Path) -> None:
    """Validate a pack and make it this clinic's active pack (the previous one is kept)."""
    settings = load_settings()
    try:
        pack, diffs = protocol.install(settings, path)
    except PackInvalid as e:
        _pack_problems(e)
    out.print(f"Installed {pack.name} {pack.version}. Differences from the shipped pack: {len(diffs)}.")
    for d in diffs:
        out.print(f"  {d.change:8} {d.table}: {d.code}")
