"""Parts of a page kept between requests because they cost more to draw than to recognise.

The chart page's progress charts are a few hundred SVG elements drawn from the patient's latest visits and
questionnaires: the most expensive part of the page, and the same from one opening of the chart to the
next until a visit is signed or a questionnaire scored. They are kept per process, by a digest of exactly
what they are drawn from, so a changed record can only ever miss the cache, never show an old chart."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import asdict
from typing import Any

from markupsafe import Markup

from sotchart.reports import charts
from sotchart.reports.templates import environment

KEEP = 256  # charts drawn (about 20 KB each): a clinic group's patients of the day

_lock = threading.Lock()
_drawn: OrderedDict[str, Markup] = OrderedDict()


def progress_charts(progress: list[dict[str, Any]], outcomes: list[Any], goals: str, *, reload: bool) -> Markup:
    """The chart page's progress charts, as `_charts.html` draws them."""
    source = json.dumps([progress, [asdict(o) for o in outcomes], goals], default=str, sort_keys=True)
    key = hashlib.sha256(source.encode()).hexdigest()
    with _lock:
        kept = _drawn.get(key)
        if kept is not None:
            _drawn.move_to_end(key)
            return kept
    macro = environment(reload).get_template("_charts.html").module.progress_charts  # type: ignore[attr-defined]
    drawn = macro(charts.progress(progress, outcomes), goals)  # a macro of an autoescaping template: Markup
    assert isinstance(drawn, Markup)
    with _lock:
        _drawn[key] = drawn
        while len(_drawn) > KEEP:
            _drawn.popitem(last=False)
    return drawn
