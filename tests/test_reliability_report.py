"""The reliability report mechanism (tests/reliability_report.py): figures merge by section and render."""

from __future__ import annotations

import json

from .reliability_report import Reliability, write_report


def test_a_run_replaces_its_sections_and_keeps_the_others(tmp_path):
    target = tmp_path / "reliability.md"
    first = Reliability()
    first.record("Races", "rounds run", 10)
    first.add("Security headers", "responses checked", 3)
    first.add("Security headers", "responses checked", 2)
    write_report(target, first, run="make test")
    stress = Reliability()
    stress.record("Races (make stress)", "rounds run", 1000)
    write_report(target, stress, run="make stress")
    stored = json.loads(target.with_suffix(".json").read_text())
    assert stored["Security headers"]["figures"] == {"responses checked": 5}
    assert stored["Races"]["figures"]["rounds run"] == 10 and stored["Races"]["run"] == "make test"
    assert stored["Races (make stress)"]["figures"]["rounds run"] == 1000
    text = target.read_text()
    assert "## Races (make stress)" in text and "| rounds run | 1,000 |" in text and "| responses checked | 5 |" in text
    assert "Do not edit" in text
