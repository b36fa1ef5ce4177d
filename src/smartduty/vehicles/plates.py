"""Chinese motor-vehicle plates (GA 36-2018): normalisation, validation and a per-position grammar.

Pure functions, no database: the plate recogniser can reuse them for post-processing and for
constrained decoding (`allowed_chars_at`, `allowed_next_chars`). Every plate kind is written
once, as a template of allowed characters per position; parsing, the error messages, the
grammar helpers and the published regexes are all derived from these templates.

This module imports only the standard library, Django's `TextChoices` and `kernel.errors`,
so it can move to a shared package if a sibling app needs it.
"""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from django.db import models

from smartduty.kernel.errors import ValidationFailed

PROVINCES: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
"""The 31 province-level abbreviations that start a GA 36 plate."""
AUTHORITY_LETTERS: Final = frozenset(string.ascii_uppercase)
"""Issuing-authority letter: any A-Z (O is used for some government vehicles)."""
SERIAL_CHARS: Final = frozenset(string.digits + string.ascii_uppercase) - {"I", "O"}
"""Serial alphabet: digits and letters except I and O."""
DIGITS: Final = frozenset(string.digits)
NEV_LETTERS: Final = frozenset("DABCEFGHJK")
"""New-energy letters: D/A/B/C/E battery-electric, F/G/H/J/K other new energy."""
SUFFIXES: Final = frozenset("挂学警领港澳")
"""Chinese characters that end a special 7-character plate."""

LENGTH_ORDINARY: Final = 7
LENGTH_NEV: Final = 8

_STRIP = re.compile(r"[\s·•‧・∙.\-–—_]+")
_SERIAL_FIXES: Final = {"O": "0", "I": "1"}


class PlateKind(models.TextChoices):
    """What a plate number says about the vehicle (derived from its format)."""

    ORDINARY = "ordinary", "普通号牌"
    TRAILER = "trailer", "挂车号牌"
    COACH = "coach", "教练车号牌"
    POLICE = "police", "警用号牌"
    CONSULATE = "consulate", "领馆号牌"
    HK_MACAU = "hk_macau", "港澳入出境号牌"
    NEV_SMALL = "nev_small", "小型新能源号牌"
    NEV_LARGE = "nev_large", "大型新能源号牌"


class PlateColor(models.TextChoices):
    """Background colour of the plate."""

    BLUE = "blue", "蓝牌"
    YELLOW = "yellow", "黄牌"
    GREEN_SMALL = "green_small", "渐变绿牌"
    GREEN_LARGE = "green_large", "黄绿牌"
    WHITE = "white", "白牌"
    BLACK = "black", "黑牌"


_Template = tuple[frozenset[str], ...]


def _template(*positions: frozenset[str] | str) -> _Template:
    return tuple(frozenset(p) if isinstance(p, str) else p for p in positions)


_P = frozenset(PROVINCES)
_A = AUTHORITY_LETTERS
_S = SERIAL_CHARS
_D = DIGITS
_N = NEV_LETTERS

TEMPLATES: Final[Mapping[PlateKind, _Template]] = {
    PlateKind.ORDINARY: _template(_P, _A, _S, _S, _S, _S, _S),
    PlateKind.TRAILER: _template(_P, _A, _S, _S, _S, _S, "挂"),
    PlateKind.COACH: _template(_P, _A, _S, _S, _S, _S, "学"),
    PlateKind.POLICE: _template(_P, _A, _S, _S, _S, _S, "警"),
    PlateKind.CONSULATE: _template(_P, _A, _S, _S, _S, _S, "领"),
    PlateKind.HK_MACAU: _template("粤", "Z", _S, _S, _S, _S, "港澳"),
    PlateKind.NEV_SMALL: _template(_P, _A, _N, _S, _D, _D, _D, _D),
    PlateKind.NEV_LARGE: _template(_P, _A, _D, _D, _D, _D, _D, _N),
}
"""Allowed characters at each position, per kind. No string matches two kinds."""

DEFAULT_COLORS: Final[Mapping[PlateKind, PlateColor]] = {
    PlateKind.ORDINARY: PlateColor.BLUE,
    PlateKind.TRAILER: PlateColor.YELLOW,
    PlateKind.COACH: PlateColor.YELLOW,
    PlateKind.POLICE: PlateColor.WHITE,
    PlateKind.CONSULATE: PlateColor.BLACK,
    PlateKind.HK_MACAU: PlateColor.BLACK,
    PlateKind.NEV_SMALL: PlateColor.GREEN_SMALL,
    PlateKind.NEV_LARGE: PlateColor.GREEN_LARGE,
}

ALLOWED_COLORS: Final[Mapping[PlateKind, frozenset[PlateColor]]] = {
    **{kind: frozenset({color}) for kind, color in DEFAULT_COLORS.items()},
    # Blue: small cars; yellow: large vehicles; black: foreign-owned and older special plates.
    PlateKind.ORDINARY: frozenset({PlateColor.BLUE, PlateColor.YELLOW, PlateColor.BLACK}),
}

_COLOR_WORDS: Final[Mapping[str, PlateColor | None]] = {
    **{color.value: color for color in PlateColor},
    **{str(color.label): color for color in PlateColor},
    "蓝": PlateColor.BLUE,
    "蓝色": PlateColor.BLUE,
    "黄": PlateColor.YELLOW,
    "黄色": PlateColor.YELLOW,
    "渐变绿": PlateColor.GREEN_SMALL,
    "渐变绿色": PlateColor.GREEN_SMALL,
    "黄绿": PlateColor.GREEN_LARGE,
    "黄绿色": PlateColor.GREEN_LARGE,
    "黄绿双拼": PlateColor.GREEN_LARGE,
    "白": PlateColor.WHITE,
    "白色": PlateColor.WHITE,
    "黑": PlateColor.BLACK,
    "黑色": PlateColor.BLACK,
    # Plain "green" is resolved by the plate kind (small or large new-energy).
    "绿": None,
    "绿色": None,
    "绿牌": None,
    "green": None,
}


class InvalidPlate(ValidationFailed):
    """A plate number that breaks GA 36-2018; the message says which rule."""

    code = "invalid_plate"
    default_message = "车牌号格式无效"


@dataclass(frozen=True)
class PlateInfo:
    """A valid, normalised plate and what its format tells us."""

    text: str
    kind: PlateKind
    default_color: PlateColor
    length: int

    @property
    def allowed_colors(self) -> frozenset[PlateColor]:
        """Colours a plate of this kind may legally have."""
        return ALLOWED_COLORS[self.kind]


@dataclass(frozen=True)
class PlateCheck:
    """The full answer to “is this a valid plate?”, for forms and the validation endpoint."""

    valid: bool
    normalized: str
    kind: PlateKind | None
    color: PlateColor | None
    message: str
    suggestions: tuple[str, ...]


def normalize_plate(raw: str) -> str:
    """NFKC (full-width → half-width), upper-case, and drop spaces, dots and dashes."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return _STRIP.sub("", text)


def _matched_prefix(text: str, template: _Template) -> int:
    """How many leading characters of `text` fit the template."""
    for index, (char, allowed) in enumerate(zip(text, template, strict=False)):
        if char not in allowed:
            return index
    return min(len(text), len(template))


def _kind_of(text: str) -> PlateKind | None:
    for kind, template in TEMPLATES.items():
        if len(text) == len(template) and _matched_prefix(text, template) == len(template):
            return kind
    return None


def _explain(text: str) -> str:  # noqa: PLR0911 - one return per GA 36 rule, checked in order
    """A Chinese message naming the first rule an invalid (normalised) plate breaks."""
    if not text:
        return "请输入车牌号"
    if len(text) not in (LENGTH_ORDINARY, LENGTH_NEV):
        return f"车牌长度应为 7 位（新能源 8 位），当前为 {len(text)} 位"
    if text[0] not in PROVINCES:
        return f"省份简称无效：“{text[0]}”不是省、自治区或直辖市的简称"
    if text[1] not in AUTHORITY_LETTERS:
        return f"发牌机关代号无效：第 2 位应为大写字母 A-Z，当前为“{text[1]}”"
    if any(char in "IO" for char in text[2:]):
        return "车牌号序号中不能包含字母 I 或 O"
    if len(text) == LENGTH_NEV:
        return (
            "新能源车牌格式无效：小型车为第 3 位 D/A/B/C/E/F/G/H/J/K 且后 4 位为数字，"
            "大型车为第 3-7 位数字且末位为 D/A/B/C/E/F/G/H/J/K"
        )
    if text[-1] in "港澳" and not text.startswith("粤Z"):
        return "港澳入出境车牌应以“粤Z”开头"
    candidates = [t for t in TEMPLATES.values() if len(t) == len(text)]
    position = max(_matched_prefix(text, t) for t in candidates)
    return f"车牌号第 {position + 1} 位字符“{text[position]}”无效"


def parse_plate(raw: str) -> PlateInfo:
    """Normalise and validate a plate; raises `InvalidPlate` with a specific Chinese message."""
    text = normalize_plate(raw)
    kind = _kind_of(text)
    if kind is None:
        raise InvalidPlate(_explain(text), details={"normalized": text})
    return PlateInfo(text=text, kind=kind, default_color=DEFAULT_COLORS[kind], length=len(text))


def is_valid_plate(raw: str) -> bool:
    """True when `parse_plate` would accept the input."""
    return _kind_of(normalize_plate(raw)) is not None


def suggest_corrections(raw: str) -> list[str]:
    """Valid plates reached by reading O as 0 and I as 1 in serial positions, fewest edits first.

    Suggestions only: the officer must confirm a corrected plate. Empty for a valid plate.
    """
    text = normalize_plate(raw)
    if _kind_of(text) is not None:
        return []
    spots = [i for i, char in enumerate(text) if i >= 2 and char in _SERIAL_FIXES]
    found: list[str] = []
    for size in range(1, len(spots) + 1):
        for chosen in itertools.combinations(spots, size):
            chars = list(text)
            for i in chosen:
                chars[i] = _SERIAL_FIXES[chars[i]]
            candidate = "".join(chars)
            if candidate not in found and _kind_of(candidate) is not None:
                found.append(candidate)
    return found


def check_plate(raw: str) -> PlateCheck:
    """Validate without raising: normalised text, kind, default colour, message, suggestions."""
    try:
        info = parse_plate(raw)
    except InvalidPlate as exc:
        return PlateCheck(
            valid=False,
            normalized=normalize_plate(raw),
            kind=None,
            color=None,
            message=exc.message,
            suggestions=tuple(suggest_corrections(raw)),
        )
    return PlateCheck(
        valid=True,
        normalized=info.text,
        kind=info.kind,
        color=info.default_color,
        message="",
        suggestions=(),
    )


def resolve_color(raw: str | None, kind: PlateKind) -> PlateColor:
    """The plate colour from user input (value, label or common Chinese word), checked against
    the kind. Empty input gives the kind's default colour."""
    word = unicodedata.normalize("NFKC", raw or "").strip()
    if not word:
        return DEFAULT_COLORS[kind]
    key = word.lower()
    if key not in _COLOR_WORDS:
        raise InvalidPlate(f"号牌颜色无效：“{word}”", details={"color": word})
    color = _COLOR_WORDS[key]
    if color is None:  # plain "green"
        color = PlateColor.GREEN_LARGE if kind == PlateKind.NEV_LARGE else PlateColor.GREEN_SMALL
    if color not in ALLOWED_COLORS[kind]:
        raise InvalidPlate(
            f"号牌颜色与号牌种类不符：{PlateKind(kind).label}不能为{PlateColor(color).label}",
            details={"color": word},
        )
    return color


def allowed_chars_at(position: int, length: int) -> frozenset[str]:
    """Characters some valid plate of `length` may have at 0-based `position`.

    Context-free (union over kinds); use `allowed_next_chars` when a prefix is known.
    """
    return frozenset().union(
        *(t[position] for t in TEMPLATES.values() if len(t) == length and position < length)
    )


def allowed_next_chars(prefix: str, length: int | None = None) -> frozenset[str]:
    """Characters that can follow a normalised `prefix` in some valid plate (of `length`).

    For constrained decoding: empty when no valid plate starts with the prefix or it is full.
    """
    position = len(prefix)
    return frozenset().union(
        *(
            t[position]
            for t in TEMPLATES.values()
            if (length is None or len(t) == length)
            and position < len(t)
            and _matched_prefix(prefix, t) == position
        )
    )


def _char_class(chars: frozenset[str]) -> str:
    if len(chars) == 1:
        return re.escape(next(iter(chars)))
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


PLATE_REGEXES: Final[Mapping[PlateKind, str]] = {
    kind: "^" + "".join(_char_class(p) for p in template) + "$"
    for kind, template in TEMPLATES.items()
}
"""Anchored regexes (for normalised input) derived from the templates, e.g. for front ends."""
