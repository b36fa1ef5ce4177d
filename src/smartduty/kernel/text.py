"""Checks on user-typed text that every app shares."""

from __future__ import annotations

import unicodedata
from typing import Final

_HIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
"""Control, format (zero-width, bidi overrides), private-use, surrogate, line separators."""


def has_hidden_characters(text: str) -> bool:
    """Whether `text` holds a control or invisible character (tab and newline included)."""
    return any(unicodedata.category(ch) in _HIDDEN_CATEGORIES for ch in text)
