"""`make bench`: run every benchmark and print its table (machine, commit and database beside each)."""

from __future__ import annotations

import sys

from bench import analytics, calendar, chart_and_search, evaluate, fhir_export, load, peer, visit_actions


def main() -> None:
    chosen = set(sys.argv[1:])
    for name, module in (
        ("evaluate", evaluate),
        ("visit", visit_actions),
        ("chart", chart_and_search),
        ("calendar", calendar),
        ("analytics", analytics),
        ("export", fhir_export),
        ("load", load),
        ("peer", peer),
    ):
        if not chosen or name in chosen:
            module.main()


if __name__ == "__main__":
    main()
