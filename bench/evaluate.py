"""How fast the SOT engine answers a full exam: in process (what the API and visit screen pay), over
HTTP, and as the `sotchart evaluate` command (which also pays Python's start-up and imports)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import header, summary_ms, table
from sotchart.domain.protocol.engine import evaluate
from sotchart.services import protocol

FULL_EXAM = {
    "patient": {"age": 52, "sex": "female", "pregnant": False},
    "payer": "medicare",
    "history": {"red_flags": ["dizziness", "night-pain"], "conditions": ["anticoagulant-therapy", "osteoporosis"]},
    "vitals": {"systolic": 146, "diastolic": 92, "pulse": 74, "symptoms": []},
    "findings": [
        {"code": "posture-pelvis", "phase": "pre", "value": "locked"},
        {"code": "posture-pelvis", "phase": "post", "value": "normal"},
        {"code": "leg-length-prone", "phase": "pre", "value": "short", "side": "right", "mm": 6},
        {"code": "leg-length-prone", "phase": "post", "value": "short", "side": "right", "mm": 2},
        {"code": "heel-tension", "phase": "pre", "value": "positive", "side": "right", "grade": 3},
        {"code": "heel-tension", "phase": "post", "value": "negative", "side": "right"},
        {"code": "first-rib-motion", "phase": "pre", "value": "positive"},
        {"code": "first-rib-tubercle-tender", "phase": "pre", "value": "positive", "side": "left"},
        {"code": "inguinal-tender", "phase": "pre", "value": "positive", "side": "left"},
        {"code": "arm-fossa", "phase": "pre", "value": "positive", "side": "left", "location": "upper"},
        {"code": "arm-fossa", "phase": "post", "value": "negative", "side": "left", "location": "upper"},
        {"code": "leg-length-supine", "phase": "pre", "value": "even"},
        {"code": "compaction-test", "phase": "pre", "value": "negative"},
        {"code": "sciatica", "phase": "pre", "value": "negative"},
        {"code": "psoas-tender", "phase": "pre", "value": "positive", "side": "right"},
        {"code": "tmj", "phase": "pre", "value": "positive", "side": "left"},
        {
            "code": "occipital-fiber",
            "phase": "pre",
            "value": "positive",
            "side": "right",
            "line": 2,
            "area": 6,
            "grade": 3,
        },
        {
            "code": "occipital-fiber",
            "phase": "post",
            "value": "positive",
            "side": "right",
            "line": 2,
            "area": 6,
            "grade": 1,
        },
        {"code": "trapezius-fiber", "phase": "pre", "value": "positive", "side": "left", "point": 4},
        {"code": "ts-line-point", "phase": "pre", "value": "positive", "side": "left", "point": "T5A"},
        {"code": "rc-factor", "phase": "pre", "value": "positive", "side": "right", "level": "C2"},
        {"code": "cranial-finding", "phase": "pre", "value": "rhythm-diminished"},
        {"code": "part-pain", "phase": "pre", "value": "positive", "region": "lumbar", "level": "L4"},
        {"code": "part-asymmetry", "phase": "pre", "value": "positive", "region": "lumbar", "level": "L4"},
        {"code": "part-rom", "phase": "pre", "value": "positive", "region": "pelvic", "level": "S1"},
        {"code": "part-tissue", "phase": "pre", "value": "positive", "region": "cervical", "level": "C5"},
    ],
    "treatment": {
        "spinal_regions": ["pelvic", "lumbar", "thoracic", "cervical"],
        "extraspinal_regions": ["head"],
        "blocks": [{"site": "iliac-crest", "side": "left"}, {"site": "greater-trochanter", "side": "right"}],
        "procedures": ["blocking", "cmrt", "cranial", "psoas-release", "spinal-adjustment"],
    },
    "confirmed_category": {"category": 1, "side": "right"},
}


def run(rounds: int = 3000) -> list[dict[str, object]]:
    pack = protocol.load(protocol.SHIPPED)
    evaluate(FULL_EXAM, pack)  # warm
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        evaluate(FULL_EXAM, pack)
        samples.append(time.perf_counter() - t0)
    rows = [{"path": "engine, in process (26 findings)", **summary_ms(samples)}]

    t0 = time.perf_counter()
    cold = protocol._load_cached.__wrapped__(protocol.SHIPPED.resolve(), ())  # type: ignore[attr-defined]
    rows.append(
        {"path": "loading and validating the pack (once per process)", **summary_ms([time.perf_counter() - t0])}
    )
    del cold

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "exam.json"
        path.write_text(json.dumps(FULL_EXAM))
        cli = []
        for _ in range(10):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "sotchart", "evaluate", str(path)],
                check=True,
                capture_output=True,
                env={"SOTCHART_DATA_DIR": d, "PATH": "/usr/bin:/bin"},
            )
            cli.append(time.perf_counter() - t0)
    rows.append({"path": "`sotchart evaluate` command, wall clock", **summary_ms(cli)})
    return rows


def main() -> None:
    header("SOT engine: evaluate a full exam (target: well under 50 ms)")
    table(run())


if __name__ == "__main__":
    main()
