"""Scoping-matrix rows of the org app's token endpoints (the caller's own tokens only)."""

UNSCOPED = {
    "org-list_tokens": "the caller's own tokens (tests/api/test_tokens.py)",
    "org-revoke_current_token": "the token of this request",
    "org-revoke_token": "the caller's own tokens; anyone else's is 404 (tests/api/test_tokens.py)",
}
