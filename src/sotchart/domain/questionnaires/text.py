"""What a patient reads: the wording sotchart ships for the free instruments, and the check of a clinic's
own file of licensed item text (sotchart never ships licensed wording)."""

from __future__ import annotations

from typing import Any

from sotchart.domain.errors import FieldProblem, InvalidInput

# sotchart's own plain wording for the free instruments.
FREE_TEXT: dict[str, dict[str, Any]] = {
    "nrs-pain": {
        "title": "Pain right now",
        "items": [
            {
                "text": "How bad is your pain right now? 0 means no pain; 10 means the worst pain you can imagine.",
                "options": [str(n) for n in range(11)],
            }
        ],
    },
    "psfs": {
        "title": "Activities that are hard for you",
        "intro": "Name up to five activities you find hard or cannot do because of this problem, and rate each: "
        "0 means you cannot do it at all, 10 means you can do it as well as before the problem began.",
    },
}
OPTION_COUNTS = {"odi": (10, 6), "ndi": (10, 6), "bq-back": (7, 11), "bq-neck": (7, 11), "hit-6": (6, 5)}


def check_clinic_text(data: Any) -> dict[str, dict[str, Any]]:
    """The clinic's file: {code: {"title", "items": [{"text", "options": [...]}]}} with the right counts."""
    problems: list[FieldProblem] = []
    if not isinstance(data, dict):
        raise InvalidInput("The questionnaire text file must be a JSON object keyed by instrument code.")
    out: dict[str, dict[str, Any]] = {}
    for code, entry in data.items():
        if code not in OPTION_COUNTS:
            problems.append(
                FieldProblem(code, f"is not a licensed instrument sotchart scores: {', '.join(OPTION_COUNTS)}")
            )
            continue
        n_items, n_options = OPTION_COUNTS[code]
        items = entry.get("items") if isinstance(entry, dict) else None
        if not isinstance(items, list) or len(items) != n_items:
            problems.append(FieldProblem(f"{code}.items", f"must list {n_items} items"))
            continue
        for i, item in enumerate(items, start=1):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("text"), str)
                or not isinstance(item.get("options"), list)
                or len(item["options"]) != n_options
                or not all(isinstance(o, str) for o in item["options"])
            ):
                problems.append(
                    FieldProblem(f"{code}.items[{i}]", f"needs text and {n_options} options, in scoring order")
                )
        out[code] = {"title": str(entry.get("title") or code), "items": items}
    if problems:
        raise InvalidInput("The clinic's questionnaire text file needs fixing.", problems)
    return out
