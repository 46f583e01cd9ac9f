"""Reading one entry of a pack table field by field, collecting every problem with its file, entry and field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PackProblem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, {self.entry}, field '{self.field}': {self.message}"


class PackInvalid(Exception):
    """A pack that fails its schema: every problem, each naming file, entry and field."""

    def __init__(self, problems: list[PackProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


@dataclass
class Problems:
    items: list[PackProblem] = field(default_factory=list)


_MISSING = object()


class Entry:
    """One row of a table; accessors return a safe default after recording a problem."""

    def __init__(self, problems: Problems, file: str, label: str, data: Any) -> None:
        self.problems = problems
        self.file = file
        self.data = data if isinstance(data, dict) else {}
        self.label = label
        self.used: set[str] = set()
        if not isinstance(data, dict):
            self.fail("(entry)", "must be a table of fields")

    def fail(self, name: str, message: str) -> None:
        self.problems.items.append(PackProblem(self.file, self.label, name, message))

    def _get(self, name: str, required: bool) -> Any:
        self.used.add(name)
        value = self.data.get(name, _MISSING)
        if value is _MISSING and required:
            self.fail(name, "is required")
        return value

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        choices: tuple[str, ...] | None = None,
        pattern: str | None = None,
        default: str = "",
    ) -> str:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.fail(name, f"must be text, not {type(value).__name__}")
            return default
        if choices is not None and value not in choices:
            self.fail(name, f"'{value}' is not one of: {', '.join(choices)}")
        if pattern is not None and not re.fullmatch(pattern, value):
            self.fail(name, f"'{value}' does not match {pattern}")
        return value

    def integer(
        self, name: str, *, required: bool = True, low: int | None = None, high: int | None = None, default: int = 0
    ) -> int:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(name, f"must be a whole number, not {value!r}")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(name, f"{value} is outside {low}–{high}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return default
        return value

    def texts(self, name: str, *, required: bool = True, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self._get(name, required)
        if value is _MISSING:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, "must be a list of text")
            return ()
        if choices is not None:
            for v in value:
                if v not in choices:
                    self.fail(name, f"'{v}' is not one of: {', '.join(choices)}")
        return tuple(value)

    def int_range(self, name: str) -> tuple[int, int] | None:
        value = self._get(name, False)
        if value is _MISSING:
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) for v in value)
            or value[0] > value[1]
        ):
            self.fail(name, "must be [low, high], two whole numbers")
            return None
        return (value[0], value[1])

    def table(self, name: str, *, required: bool = True) -> dict[str, Any]:
        value = self._get(name, required)
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            self.fail(name, "must be a table")
            return {}
        return value

    def rows(self, name: str) -> list[Any]:
        value = self._get(name, True)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.fail(name, "must be a list")
            return []
        return value

    def check_unknown(self, extra_allowed: tuple[str, ...] = ()) -> None:
        for key in self.data:
            if key not in self.used and key not in extra_allowed:
                self.fail(key, "is not a known field (check the spelling; see docs/protocol-pack.md)")
