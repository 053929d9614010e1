"""Where the reliability tests put their figures (probe counts, recovery outcomes) for docs/reliability.md.

One function, so that the figures can be redirected to `tests/reliability_report.py` when that mechanism
lands: until then they are appended, one JSON object per line, to var/reliability-figures.jsonl.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

FIGURES_FILE = Path(__file__).resolve().parent.parent / "var" / "reliability-figures.jsonl"


def record(section: str, figure: str, value: object) -> None:
    """Note one figure of a reliability test (e.g. record("isolation", "probes", 4213))."""
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "section": section, "figure": figure}
    with FIGURES_FILE.open("a") as out:
        out.write(json.dumps({**line, "value": value}, default=str) + "\n")
