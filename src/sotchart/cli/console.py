"""Output and settings for commands, without loading the database layer (the engine's CLI uses only this)."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from rich.console import Console

from sotchart.settings import Settings

# soft_wrap: messages stay one line each when piped, so scripts and logs can grep them.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        for problem in e.errors():
            name = "SOTCHART_" + "_".join(str(p) for p in problem["loc"]).upper()
            err.print(f"[red]Setting {name or 'SOTCHART_*'}: {problem['msg']}[/red]")
        raise typer.Exit(2) from None
