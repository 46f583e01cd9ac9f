"""A care plan's cadence as the clinician sets it (3 a week for 4 weeks, then 2 a week for 4 weeks; a
re-examination every 12 visits), which visits of it are re-examinations, and how far along a patient is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput

PER_WEEK_MAX = 6
WEEKS_MAX = 52
VISITS_MAX = 120
# What the plan form offers until the clinician says otherwise. Medicare asks for a plan with frequency,
# duration, goals and objective measures (CMS Pub. 100-02 ch. 15 §240.1.2) but sets no re-exam interval
# that sotchart has a source for: every ~12 visits is a clinic habit, so it is the clinician's to change.
REEXAM_EVERY_DEFAULT = 12
# Which weekdays (Monday 0) a cadence of n visits a week falls on unless the desk picks others: spread out,
# so a patient is not seen on two days running where the week allows it.
SPREAD_DAYS: dict[int, tuple[int, ...]] = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
}


@dataclass(frozen=True)
class Phase:
    per_week: int
    weeks: int

    @property
    def visits(self) -> int:
        return self.per_week * self.weeks

    def say(self) -> str:
        return f"{self.per_week} a week for {self.weeks} week{'s' if self.weeks != 1 else ''}"


@dataclass(frozen=True)
class Cadence:
    phases: tuple[Phase, ...]
    reexam_every: int | None  # None: a re-examination only at the plan's end

    @property
    def visits(self) -> int:
        return sum(p.visits for p in self.phases)

    def say(self) -> str:
        return ", then ".join(p.say() for p in self.phases)

    def kind_of(self, number: int) -> str:
        """The kind of the plan's visit `number` (1-based): every reexam_every-th one and the last are
        re-examinations, the rest follow-ups."""
        if number == self.visits or (self.reexam_every and number % self.reexam_every == 0):
            return "re-examination"
        return "follow-up"

    def say_visit(self, number: int) -> str:
        """How Today and the visit name this visit of the plan: "visit 8 of 20, re-exam"."""
        if number > self.visits:
            return f"past the plan ({number} of {self.visits})"
        return f"visit {number} of {self.visits}" + (", re-exam" if self.kind_of(number) == "re-examination" else "")

    def reexam_numbers(self) -> list[int]:
        return [n for n in range(1, self.visits + 1) if self.kind_of(n) == "re-examination"]


_PHASE = re.compile(
    r"(\d+)\s*(?:x|times?)?\s*(?:a|per|/|each|every)?\s*(?:week|wk)s?\b[^\d]*?(?:for|x|over)\s*(\d+)\s*(?:weeks?|wks?)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "once": "1 times",
    "twice": "2 times",
    **{w: str(n) for n, w in enumerate(("one", "two", "three", "four", "five", "six", "seven", "eight"), start=1)},
}
_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_JOINERS = re.compile(r"(?:\bthen\b|\band\b|\bfollowed by\b|[,;.]|\s)+", re.IGNORECASE)


def _spelled(text: str) -> str:
    """Numbers written as words ("twice a week for six weeks") as digits."""
    return _WORD.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], text or "")


def parse_cadence_text(text: str) -> tuple[Phase, ...]:
    """The phases a plan's frequency as clinicians write it names ("3 a week for 4 weeks, then 2 a week for
    4 weeks", "3x/wk x 4 wks", "twice a week for six weeks"); empty when the text says none in a form this
    can read."""
    return tuple(Phase(int(a), int(b)) for a, b in _PHASE.findall(_spelled(text)))


def unread_part(text: str) -> str:
    """What of the frequency's text is neither a phase nor a word joining phases (``""``: all of it read)."""
    return _JOINERS.sub(" ", _PHASE.sub(" ", _spelled(text))).strip()


def check_cadence(data: Mapping[str, Any]) -> Cadence:
    """A cadence from the care-plan form (`frequency` as text, `reexam_every` visits), or InvalidInput naming
    each field to fix."""
    problems: list[FieldProblem] = []
    text = str(data.get("frequency", ""))
    phases = parse_cadence_text(text)
    left = unread_part(text)
    if not phases and not text.strip():
        problems.append(
            FieldProblem("frequency", "Write the frequency as '3 a week for 4 weeks, then 2 a week for 4 weeks'.")
        )
    elif left or not phases:
        problems.append(
            FieldProblem(
                "frequency",
                f"sotchart could not read “{(left or text.strip())[:60]}”: write each phase as "
                "“N a week for W weeks” (whole numbers), joined by “then”.",
            )
        )
    elif re.search(r"(?:,|\bthen)\s*$", text.strip(), re.IGNORECASE):
        problems.append(FieldProblem("frequency", "The frequency ends with “then”: add the next phase or remove it."))
    elif any(not 1 <= p.per_week <= PER_WEEK_MAX for p in phases):
        problems.append(FieldProblem("frequency", f"Use 1 to {PER_WEEK_MAX} visits a week."))
    elif any(not 1 <= p.weeks <= WEEKS_MAX for p in phases):
        problems.append(FieldProblem("frequency", f"Use 1 to {WEEKS_MAX} weeks for each phase."))
    elif sum(p.visits for p in phases) > VISITS_MAX:
        problems.append(
            FieldProblem("frequency", f"A plan holds at most {VISITS_MAX} visits; plan again at a re-exam.")
        )
    raw = str(data.get("reexam_every", "") or "").strip()
    every: int | None = None
    if raw:
        try:
            every = int(raw)
            if not 2 <= every <= VISITS_MAX:
                raise ValueError
        except ValueError:
            problems.append(
                FieldProblem("reexam_every", f"Use a number of visits from 2 to {VISITS_MAX}, or leave empty.")
            )
    if problems:
        raise InvalidInput("The care plan needs fixing.", problems)
    return Cadence(phases, every)


@dataclass(frozen=True)
class Progress:
    """Where the patient stands in the plan: "visit 7 of 12", and whether the next visit is a re-exam."""

    done: int  # visits of the plan so far (not entered in error)
    total: int
    booked: int  # appointments of the plan still to come
    next_number: int
    reexam_due: bool

    def say(self) -> str:
        """The chart's line: how many are done and what comes next."""
        if self.done >= self.total:
            return f"plan complete ({self.done} of {self.total} visits)"
        text = f"{self.done} of {self.total} visits done · next: visit {self.next_number}"
        return text + (", re-exam due" if self.reexam_due else "")


def progress(cadence: Cadence, done: int, booked: int) -> Progress:
    nxt = min(done + 1, cadence.visits)
    return Progress(
        done=done,
        total=cadence.visits,
        booked=booked,
        next_number=nxt,
        reexam_due=done < cadence.visits and cadence.kind_of(nxt) == "re-examination",
    )
