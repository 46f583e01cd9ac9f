"""A CSV cell a spreadsheet will not run: text beginning with = + - @ or a tab or carriage return is a
formula to Excel and LibreOffice (OWASP, "CSV Injection"), so an imported name like =HYPERLINK(...) would
act when a clinic opens its own export. Such text is written with a leading apostrophe, which the
spreadsheet shows as text; numbers and dates are written as they are."""

from __future__ import annotations

from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value
