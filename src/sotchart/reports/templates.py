"""The one Jinja2 environment the pages and the PDF reports render with (the templates live under web/)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from sotchart import __version__

TEMPLATES = Path(__file__).parents[1] / "web" / "templates"


def _date(value: date | datetime | None, fmt: str = "%d %b %Y") -> str:
    if value is None:
        return ""
    return value.strftime(fmt)


def _local(value: datetime | None, zone: str = "UTC", fmt: str = "%d %b %Y %H:%M %Z") -> str:
    """A moment in the clinic's own time zone, with the zone's abbreviation (EST, CDT...)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone or "UTC")).strftime(fmt)


@cache
def environment(reload: bool = True) -> Environment:
    """The templates; with `reload` off (production) each is read once per process, not checked on disk
    at every render."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        auto_reload=reload,
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["d"] = _date
    env.filters["local"] = _local
    env.globals["sotchart_version"] = __version__  # a name no page variable takes
    return env
