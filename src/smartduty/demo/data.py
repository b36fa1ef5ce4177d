"""The fictional 示范市 (demo city). Every name, plate and phone number here is invented."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from smartduty.org.states import Role

DEMO_PASSWORD: Final = "Demo@2026"  # noqa: S105 - printed on purpose for demo logins


@dataclass(frozen=True)
class DemoOfficer:
    """One demo login."""

    username: str
    name: str
    badge: str
    unit_key: str
    role: Role
    is_superuser: bool = False


UNIT_NAMES: Final = {
    "cg_dadui": "城管执法大队",
    "cg_east": "东区中队",
    "cg_west": "西区中队",
    "jj_dadui": "交警东区大队",
    "jj_west": "交警西区大队",
}
"""The demo's 城管 and 交警 units by key (`DemoOfficer.unit_key`)."""

OFFICERS: Final = (
    DemoOfficer("admin", "系统管理员", "SF0001", "cg_dadui", Role.SYSADMIN, is_superuser=True),
    DemoOfficer("zhihui", "周指挥", "SF0002", "cg_dadui", Role.COMMAND),
    DemoOfficer("dong_leader", "陈中队长", "SF1001", "cg_east", Role.SQUAD_LEADER),
    DemoOfficer("dong_officer", "李队员", "SF1002", "cg_east", Role.OFFICER),
    # 东区's grid supervisor: reports and verifies (核查) in the officer app, handles nothing
    DemoOfficer("dong_supervisor", "孙监督员", "SF1003", "cg_east", Role.SUPERVISOR),
    DemoOfficer("xi_officer", "王队员", "SF2001", "cg_west", Role.OFFICER),
    DemoOfficer("jiaojing", "赵警官", "JJ3001", "jj_dadui", Role.TRAFFIC_POLICE),
)

_SURNAMES: Final = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何林罗高"
_GIVEN: Final = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
)
_LETTERS: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS: Final = "0123456789"


@dataclass(frozen=True)
class DemoVehicle:
    """One registry row: plate, colour hint, owner and phone, and which district holds it."""

    plate: str
    color: str
    owner_name: str
    owner_phone: str
    district_key: str


def _serial(rng: random.Random) -> str:
    """Five serial characters as real plates look: mostly digits, at most two letters."""
    chars = rng.choices(_DIGITS, k=5)
    for position in rng.sample(range(5), k=rng.choice((0, 1, 1, 2))):
        chars[position] = rng.choice(_LETTERS)
    return "".join(chars)


def demo_vehicles(count: int = 200, seed: int = 2022) -> list[DemoVehicle]:
    """Deterministic fictional vehicles: about 60 % blue, 20 % yellow, 20 % green plates."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    seen: set[str] = set()
    out: list[DemoVehicle] = []
    while len(out) < count:
        roll = rng.random()
        letter = rng.choice("ABCDEFGHJKLMNPQR")
        if roll < 0.8:
            plate = "鲁" + letter + _serial(rng)
            color = "blue" if roll < 0.6 else "yellow"
        elif roll < 0.93:
            nev = rng.choice("DF")
            plate = "鲁" + letter + nev + rng.choice(_LETTERS + _DIGITS)
            plate += "".join(rng.choices(_DIGITS, k=4))
            color = "green_small"
        else:
            plate = "鲁" + letter + "".join(rng.choices(_DIGITS, k=5)) + rng.choice("DF")
            color = "green_large"
        if plate in seen:
            continue
        seen.add(plate)
        name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))
        # 170/171 are virtual-operator prefixes; the numbers are invented for the demo
        phone = rng.choice(("170", "171")) + "".join(rng.choices(_DIGITS, k=8))
        out.append(DemoVehicle(plate, color, name, phone, "east" if len(out) % 2 else "west"))
    return out


@dataclass(frozen=True)
class DemoStreet:
    """A 街道 of the demo city and the box its grids tile (south-west corner, size)."""

    code: str
    name: str
    district_key: str
    lon: float
    lat: float


STREETS: Final = (
    DemoStreet("990101001", "人民路街道", "east", 115.975, 36.450),
    DemoStreet("990101002", "建设路街道", "east", 115.975, 36.425),
    DemoStreet("990102001", "文化路街道", "west", 115.930, 36.450),
    DemoStreet("990102002", "光明路街道", "west", 115.930, 36.425),
)
STREET_SPAN: Final = (0.045, 0.025)
"""Each street is 0.045° of longitude by 0.025° of latitude (about 4.0 km × 2.8 km)."""
GRID_COLUMNS, GRID_ROWS = 10, 6
COMMUNITIES: Final = ("一", "二")
"""Two 社区 per street, the west and east halves; grids are numbered west→east, north→south."""


@dataclass(frozen=True)
class DemoGrid:
    code: str
    name: str
    street_code: str
    geometry: dict[str, object]


def demo_grids() -> list[DemoGrid]:
    """The grid layer: each street tiled into 10 × 6 grids (about 400 m × 460 m), codes by
    the 15-digit rule (street code + 3-digit community + 3-digit sequence)."""
    out: list[DemoGrid] = []
    width, height = STREET_SPAN[0] / GRID_COLUMNS, STREET_SPAN[1] / GRID_ROWS
    per_community = GRID_COLUMNS // len(COMMUNITIES)
    for street in STREETS:
        for c, community in enumerate(COMMUNITIES):
            sequence = 0
            for row in range(GRID_ROWS):  # north first
                for col in range(c * per_community, (c + 1) * per_community):
                    sequence += 1
                    lon = round(street.lon + col * width, 6)
                    lat = round(street.lat + (GRID_ROWS - 1 - row) * height, 6)
                    east, north = round(lon + width, 6), round(lat + height, 6)
                    ring = [[lon, lat], [east, lat], [east, north], [lon, north], [lon, lat]]
                    out.append(
                        DemoGrid(
                            code=f"{street.code}{c + 1:03d}{sequence:03d}",
                            name=f"{street.name[:-2]}{community}社区{sequence:02d}号网格",
                            street_code=street.code,
                            geometry={"type": "Polygon", "coordinates": [ring]},
                        )
                    )
    return out
