"""Factories for the org app: a small city with two districts, each with a unit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from smartduty.org import services
from smartduty.org.models import Agency, District, Officer, Unit
from smartduty.org.states import AgencyKind, DistrictLevel, Role, UnitLevel

_badges = itertools.count(1000)


@dataclass
class City:
    """A test city: 示范市 with 东区 (A) and 西区 (B), one street each, one unit each."""

    city: District
    district_a: District
    district_b: District
    street_a: District
    street_b: District
    agency: Agency
    traffic: Agency
    unit_a: Unit
    unit_b: Unit
    city_unit: Unit


def make_city() -> City:
    """Create the tree 示范市 → 东区/西区 → one street each, and one 中队 per district."""
    city = services.create_district(code="990000", name="示范市", level=DistrictLevel.CITY)
    district_a = services.create_district(
        code="990001", name="东区", level=DistrictLevel.DISTRICT, parent=city
    )
    district_b = services.create_district(
        code="990002", name="西区", level=DistrictLevel.DISTRICT, parent=city
    )
    street_a = services.create_district(
        code="990001001", name="东一街道", level=DistrictLevel.STREET, parent=district_a
    )
    street_b = services.create_district(
        code="990002001", name="西一街道", level=DistrictLevel.STREET, parent=district_b
    )
    agency = services.create_agency(name="示范市城管局", kind=AgencyKind.CHENGGUAN, district=city)
    traffic = services.create_agency(name="示范市交警支队", kind=AgencyKind.JIAOJING, district=city)
    city_unit = services.create_unit(
        name="城管执法支队", agency=agency, level=UnitLevel.ZHIDUI, district=city
    )
    unit_a = services.create_unit(
        name="东区一中队",
        agency=agency,
        level=UnitLevel.ZHONGDUI,
        district=district_a,
        parent=city_unit,
    )
    unit_b = services.create_unit(
        name="西区一中队",
        agency=agency,
        level=UnitLevel.ZHONGDUI,
        district=district_b,
        parent=city_unit,
    )
    return City(
        city, district_a, district_b, street_a, street_b, agency, traffic, unit_a, unit_b, city_unit
    )


def make_officer(unit: Unit, *, role: Role = Role.OFFICER, username: str | None = None) -> Officer:
    """An officer with one role and password `pass-1234`."""
    badge = next(_badges)
    return services.create_officer(
        username=username or f"officer{badge}",
        password="pass-1234",
        name=f"队员{badge}",
        badge_number=f"SF{badge}",
        unit=unit,
        roles=[role],
    )
