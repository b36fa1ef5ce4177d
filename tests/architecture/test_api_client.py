"""The committed TypeScript client was generated from the current API (run `make api-client`)."""

from __future__ import annotations

import json
from pathlib import Path

from smartduty.api import api

CLIENT = Path(__file__).resolve().parents[2] / "frontend" / "api-client" / "openapi.json"


def test_committed_openapi_matches_the_api() -> None:
    committed = json.loads(CLIENT.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True))
    assert committed == current, "frontend/api-client is stale: run `make api-client` and commit"
