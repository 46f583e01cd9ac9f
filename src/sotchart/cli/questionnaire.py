"""`sotchart questionnaire score CODE ANSWERS.json [--baseline BASELINE.json]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sotchart.cli.console import err
from sotchart.domain.errors import InvalidInput
from sotchart.domain.questionnaires import score_payload

questionnaire_cli = typer.Typer(help="Outcome questionnaires.", no_args_is_help=True)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        err.print(f"[red]Cannot read {path}: {e.strerror}.[/red]")
    except json.JSONDecodeError as e:
        err.print(f"[red]{path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.[/red]")
    raise typer.Exit(2)


@questionnaire_cli.command("score")
def score(
    code: Annotated[str, typer.Argument(help="nrs-pain, psfs, odi, ndi, bq-back, bq-neck or hit-6")],
    answers: Annotated[Path, typer.Argument(help='{"answers": [...]} in item order, null for a skipped item')],
    baseline: Annotated[
        Path | None, typer.Option(help="The baseline answers, to report the change and the MCID")
    ] = None,
) -> None:
    """Score one questionnaire and print the result as JSON."""
    try:
        result = score_payload(code, _read(answers), _read(baseline) if baseline else None)
    except InvalidInput as e:
        err.print(f"[red]{e.detail}[/red]")
        for p in e.problems:
            err.print(f"  {p.field}: {p.message}")
        raise typer.Exit(2) from None
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
