"""`manage.py seed_demo`: load the fictional 示范市 once (idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from smartduty.demo import data
from smartduty.grids import services as grids
from smartduty.kernel.scoping import Principal
from smartduty.org import services as org
from smartduty.org.models import District, Officer, Unit
from smartduty.org.states import AgencyKind, DistrictLevel, UnitLevel
from smartduty.policy import services as policy
from smartduty.policy.services import PolicyChanges
from smartduty.vehicles import services as vehicles

CITY_CODE = "990000"


class Command(BaseCommand):
    """Create the demo city, units, the demo logins (`data.OFFICERS`), 200 vehicles and one
    policy per district."""

    help = "载入演示数据（示范市）；已存在时只补充缺少的演示账号"

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        if District.objects.filter(code=CITY_CODE).exists():
            with transaction.atomic():
                added = self._add_missing_logins()
            if added:
                self.stdout.write(f"演示数据已存在；补充演示账号：{'、'.join(added)}。")
            else:
                self.stdout.write("演示数据已存在，跳过。")
            return
        with transaction.atomic():
            self._seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已载入：示范市、2 个区、4 个街道共 240 个单元网格、"
                f"{len(data.OFFICERS)} 名人员、200 辆车。"
            )
        )

    def _seed(self) -> None:
        city = org.create_district(code=CITY_CODE, name="示范市", level=DistrictLevel.CITY)
        east = org.create_district(
            code="990101", name="东区", level=DistrictLevel.DISTRICT, parent=city
        )
        west = org.create_district(
            code="990102", name="西区", level=DistrictLevel.DISTRICT, parent=city
        )
        streets = {
            street.code: org.create_district(
                code=street.code,
                name=street.name,
                level=DistrictLevel.STREET,
                parent=east if street.district_key == "east" else west,
            )
            for street in data.STREETS
        }

        chengguan = org.create_agency(
            name="示范市城市管理局", kind=AgencyKind.CHENGGUAN, district=city
        )
        jiaojing = org.create_agency(
            name="示范市公安局交通警察支队", kind=AgencyKind.JIAOJING, district=city
        )
        units: dict[str, Unit] = {}
        units["cg_dadui"] = org.create_unit(
            name=data.UNIT_NAMES["cg_dadui"], agency=chengguan, level=UnitLevel.DADUI, district=city
        )
        units["cg_east"] = org.create_unit(
            name=data.UNIT_NAMES["cg_east"],
            agency=chengguan,
            level=UnitLevel.ZHONGDUI,
            district=east,
            parent=units["cg_dadui"],
        )
        units["cg_west"] = org.create_unit(
            name=data.UNIT_NAMES["cg_west"],
            agency=chengguan,
            level=UnitLevel.ZHONGDUI,
            district=west,
            parent=units["cg_dadui"],
        )
        units["jj_dadui"] = org.create_unit(
            name=data.UNIT_NAMES["jj_dadui"], agency=jiaojing, level=UnitLevel.DADUI, district=east
        )
        units["jj_west"] = org.create_unit(
            name=data.UNIT_NAMES["jj_west"], agency=jiaojing, level=UnitLevel.DADUI, district=west
        )
        street_offices = org.create_agency(
            name="示范市街道办事处", kind=AgencyKind.STREET, district=city
        )
        cleaners = org.create_agency(
            name="示范市环卫作业公司", kind=AgencyKind.CONTRACTOR, district=city
        )
        for key, district in (("east", east), ("west", west)):
            units[f"zy_{key}"] = org.create_unit(
                name=f"{district.name}环卫作业队",
                agency=cleaners,
                level=UnitLevel.ZHONGDUI,
                district=district,
            )
        for code, street in streets.items():
            units[f"jd_{code}"] = org.create_unit(
                name=f"{street.name}办事处",
                agency=street_offices,
                level=UnitLevel.ZHONGDUI,
                district=street,
            )

        admin_user = None
        for spec in data.OFFICERS:
            officer = self._create_login(spec, units[spec.unit_key])
            if spec.is_superuser:
                admin_user = officer.user

        root = org.principal_for_user(admin_user)
        for district in (east, west):
            policy.update_policy(
                principal=root,
                actor=admin_user,
                district=district,
                changes=PolicyChanges(
                    move_window_seconds=600,
                    duplicate_window_seconds=1800,
                    sms_signature="示范城管",
                    sms_template_code="SD_MOVE_001",
                ),
                reason="演示数据初始规则",
            )

        self._seed_grids(root, streets, units)

        districts = {"east": east, "west": west}
        for car in data.demo_vehicles():
            vehicles.register_vehicle(
                district=districts[car.district_key],
                plate=car.plate,
                plate_color=car.color,
                owner_name=car.owner_name,
                owner_phone=car.owner_phone,
            )

    @staticmethod
    def _create_login(spec: data.DemoOfficer, unit: Unit) -> Officer:
        officer = org.create_officer(
            username=spec.username,
            password=data.DEMO_PASSWORD,
            name=spec.name,
            badge_number=spec.badge,
            unit=unit,
            roles=[spec.role],
        )
        if spec.is_superuser:
            get_user_model().objects.filter(pk=officer.user_id).update(
                is_superuser=True, is_staff=True
            )
            officer.user.refresh_from_db()
        return officer

    def _add_missing_logins(self) -> list[str]:
        """A demo loaded by an older version: add the demo logins it lacks (such as the
        监督员), in their units; accounts that exist are left as they are."""
        existing = set(
            get_user_model()
            .objects.filter(username__in=[spec.username for spec in data.OFFICERS])
            .values_list("username", flat=True)
        )
        added = []
        for spec in data.OFFICERS:
            if spec.username in existing:
                continue
            unit = (
                Unit.objects.filter(
                    name=data.UNIT_NAMES[spec.unit_key], district__path__startswith=f"/{CITY_CODE}/"
                )
                .order_by("pk")
                .first()
            )
            if unit is None:
                continue
            self._create_login(spec, unit)
            added.append(spec.username)
        return added

    def _seed_grids(
        self, root: Principal, streets: dict[str, District], units: dict[str, Unit]
    ) -> None:
        """240 grids, each handled by its district's 城管 中队, 交警 大队 and 环卫作业队 and by
        its own 街道办事处."""
        for grid in data.demo_grids():
            street = streets[grid.street_code]
            key = "east" if street.code.startswith("990101") else "west"
            grids.save_grid(
                principal=root,
                code=grid.code,
                name=grid.name,
                district=street,
                geometry=grid.geometry,
                units={
                    AgencyKind.CHENGGUAN: units[f"cg_{key}"],
                    AgencyKind.JIAOJING: units["jj_dadui" if key == "east" else "jj_west"],
                    AgencyKind.STREET: units[f"jd_{street.code}"],
                    AgencyKind.CONTRACTOR: units[f"zy_{key}"],
                },
            )
