"""What database commands share: the app handle, and errors as messages (exit 2 for bad input)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from sotchart.cli.console import err, load_settings, out
from sotchart.domain.errors import InvalidInput, SotchartError
from sotchart.services.context import App


# soft_wrap: messages stay one line each when piped, so scripts and logs can grep them.
@contextmanager
def app_handle() -> Iterator[App]:
    app: App | None = None
    try:
        app = App.from_settings(load_settings())
        yield app
    except SotchartError as e:
        err.print(f"[red]{e.detail}[/red]")
        for p in e.problems:
            err.print(f"  [red]{p.field}[/red]: {p.message}")
        raise typer.Exit(2 if isinstance(e, InvalidInput) else 1) from None
    finally:
        if app is not None:
            app.close()


def fail(message: str, code: int = 1) -> None:
    err.print(f"[red]{message}[/red]")
    sys.stderr.flush()
    raise typer.Exit(code)


__all__ = ["app_handle", "err", "fail", "load_settings", "out"]
