"""Every requirement a test cites exists, and every requirement claimed done is cited by a test."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ID = re.compile(r"\b([A-Z]{2}-\d{2})\b")


def known_ids() -> set[str]:
    shared = ROOT.parent / "shared" / "REQUIREMENTS.md"
    text = shared.read_text() if shared.exists() else (ROOT / "docs" / "requirements.md").read_text()
    return {m for m in ID.findall(text) if not m.startswith("QC")}


def cited_ids() -> set[str]:
    cited = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        cited |= set(re.findall(r'req\("([A-Z]{2}-\d{2})"\)', path.read_text()))
    return cited


def done_ids() -> set[str]:
    rows = (ROOT / "docs" / "requirements.md").read_text().splitlines()
    return {m.group(1) for row in rows if (m := re.match(r"\| ([A-Z]{2}-\d{2}) \| done", row))}


def test_every_cited_requirement_exists():
    unknown = cited_ids() - known_ids()
    assert not unknown, f"tests cite requirement IDs that do not exist: {sorted(unknown)}"


def test_every_requirement_marked_done_is_proven_by_a_test():
    done = done_ids()
    assert len(done) >= 20
    missing = done - cited_ids()
    assert not missing, f"docs/requirements.md says done, but no test cites: {sorted(missing)}"
