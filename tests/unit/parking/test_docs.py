"""The state diagram in docs/domains/parking.md is the transition table, edge for edge."""

from __future__ import annotations

import re
from pathlib import Path

from smartduty.parking.states import ALLOWED

DOC = Path(__file__).resolve().parents[3] / "docs" / "domains" / "parking.md"
EDGE = re.compile(r"^\s*(\w+) --> (\w+): (\w+)\s*$")


def test_mermaid_diagram_matches_transition_table() -> None:
    edges = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = EDGE.match(line)
        if match and match.group(1) != "[*]":
            edges.add((match.group(1), match.group(3), match.group(2)))
    table = {(str(s), str(a), str(t)) for (s, a), t in ALLOWED.items()}
    assert edges == table
