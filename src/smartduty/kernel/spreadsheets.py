"""Cells that are safe to write to an Excel workbook or a CSV file: `safe_cell(value)`.

Every export of user-typed text (a report's `place`, a plate from an imported sheet, a
district's name) goes through it, for two reasons:

- XML 1.0 forbids most control characters, and openpyxl raises `IllegalCharacterError` on
  them, so one stray character in one report made the whole workbook answer 500. They are
  removed (`\\t`, `\\n` and `\\r` stay: XML allows them).
- A cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is read as a formula by
  spreadsheet programs (CSV/formula injection, OWASP): `=HYPERLINK(...)` in a place name would
  run for whoever opens the export. Such text gets a leading `'`, so it stays text.

Numbers, dates and `None` pass through unchanged; only strings are rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

ILLEGAL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""What XML 1.0 (and so openpyxl) refuses, plus DEL."""
FORMULA_STARTERS: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value` as an export may write it: strings cleaned and never a formula."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS.sub("", value)
    if text.startswith(FORMULA_STARTERS):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[object]:
    """`safe_cell` of every value of a row."""
    return [safe_cell(v) for v in values]
