"""The `sotchart` command line: thin Typer commands over the services."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point. `evaluate` is dispatched before the rest of the CLI is imported: it needs neither the
    database nor the web stack, and clinicians' scripts call it once per exam."""
    if sys.argv[1:2] == ["evaluate"]:
        import typer

        from sotchart.cli.protocol import evaluate

        sys.argv = [f"{sys.argv[0]} evaluate", *sys.argv[2:]]
        typer.run(evaluate)
        return
    from sotchart.cli.main import cli

    cli()
