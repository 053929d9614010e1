"""Where the isolation-matrix and Celery-fault tests put their figures for docs/reliability.md.

A thin alias of `tests/reliability_report.py` (the report `make test` writes), kept so those tests read
`record(section, figure, value)` without a fixture.
"""

from __future__ import annotations

from .reliability_report import reliability_store


def record(section: str, figure: str, value: object) -> None:
    """Note one figure of a reliability test (e.g. record("isolation", "probes", 4213))."""
    reliability_store().record(section, figure, value)
