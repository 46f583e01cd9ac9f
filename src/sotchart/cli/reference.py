"""docs/cli.md, generated from the commands themselves so the reference cannot drift from the code."""

from __future__ import annotations

from typing import Any

import typer

from sotchart.cli.main import cli


# Typer carries its own copy of click, so commands are recognised by shape, not by class.
def _walk(cmd: Any, prefix: str) -> list[tuple[str, Any]]:
    is_group = hasattr(cmd, "commands")
    out = [] if is_group else [(prefix, cmd)]
    if is_group:
        for name in sorted(cmd.commands):
            out += _walk(cmd.commands[name], f"{prefix} {name}".strip())
    return out


def _param(p: Any) -> str:
    if p.param_type_name == "argument":
        return f"- `{p.name.upper()}` (required)"
    flags = ", ".join(f"`{o}`" for o in p.opts + p.secondary_opts)
    help_text = (p.help or "").strip()
    extra = []
    if p.prompt:
        extra.append("asked for when left out")
    if p.envvar:
        extra.append(f"or `{p.envvar}`")
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"- {flags}: {help_text}{tail}" if help_text else f"- {flags}{tail}"


def markdown() -> str:
    root = typer.main.get_command(cli)
    lines = [
        "# Command line",
        "",
        "`sotchart` (also `python -m sotchart`). Generated from the commands by "
        "`python -m sotchart.cli.reference > docs/cli.md`; a test fails when it is stale.",
        "Bad input exits with status 2 and a message naming what to fix; other refusals exit 1.",
        "",
    ]
    for path, cmd in _walk(root, ""):
        lines += [f"## sotchart {path}", "", (cmd.help or "").strip().split("\n")[0], ""]
        params = [_param(p) for p in cmd.params if p.name != "help"]
        if params:
            lines += [*params, ""]
    return "\n".join(lines)


SETTINGS_INTRO = """# Settings

sotchart reads its settings from environment variables that start with `SOTCHART_`. This page is
generated from the settings class (`python -m sotchart.cli.reference settings > docs/settings.md`);
a test fails when it is stale. A bad value stops the command with the setting's name and what is
wrong, e.g. `Setting SOTCHART_SESSION_IDLE_MINUTES: Input should be a valid integer`.

| Variable | Default | What it does |
|---|---|---|"""

SETTINGS_OUTRO = """
Two more variables are read by single commands so that passwords need not be typed at a prompt
(for scripted installs): `SOTCHART_INIT_PASSWORD` (the owner's password for `sotchart init`) and
`SOTCHART_NEW_PASSWORD` (for `sotchart user add`).

## Production checklist

- Set `SOTCHART_ENVIRONMENT=production` and a long random `SOTCHART_SECRET_KEY`
  (`python -c "import secrets; print(secrets.token_urlsafe(48))"`); sotchart refuses to start
  without it. Keep the key with your backups: without it, second-factor secrets cannot be read.
- Serve behind a TLS proxy and set `SOTCHART_COOKIE_SECURE=true`."""


def settings_markdown() -> str:
    from sotchart.settings import Settings

    rows = []
    for name, f in Settings.model_fields.items():
        default = f.default
        shown = "unset" if default is None else (default.as_posix() if hasattr(default, "as_posix") else str(default))
        rows.append(f"| `SOTCHART_{name.upper()}` | `{shown}` | {f.description} |")
    return "\n".join([SETTINGS_INTRO, *rows, SETTINGS_OUTRO])


if __name__ == "__main__":
    import sys

    print(settings_markdown() if sys.argv[1:] == ["settings"] else markdown())
