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


if __name__ == "__main__":
    print(markdown())
