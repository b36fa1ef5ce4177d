"""The data the fuzzer works on: a small demo-like city, built through the real services.

Every fuzz test item (one operation × one role) gets a fresh copy inside its own test
transaction. `World.ids` lists the public ids by kind, so the fuzzer's generated ids can be
swapped for ones that exist (a random UUID only ever meets the 404 branch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from smartduty.org import services as org_services
from smartduty.org.models import Officer
from smartduty.org.states import Role
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Status
from tests.factories.cases import case_in_a, cases_in_every_state
from tests.factories.evidence import camera_exif, image_bytes, make_photo
from tests.factories.org import make_city, make_officer
from tests.factories.parking import report_in
from tests.factories.vehicles import make_vehicle

# One report per state the core loop can be in, each with its own plate (no duplicates).
_STATES = (
    Status.REPORTED,
    Status.AWAITING_MOVE,
    Status.MOVED,
    Status.AWAITING_RECHECK,
    Status.OWNER_UNKNOWN,
    Status.NOTICE_POSTED,
    Status.CLOSED,
    Status.VOID,
)


@dataclass
class World:
    """Who the fuzzer is, and what exists: public ids by kind (see `KIND_BY_SEGMENT`)."""

    officers: dict[str, Officer]
    ids: dict[str, list[str]] = field(default_factory=dict)

    def token(self, role: str) -> str:
        """A fresh bearer token of the officer playing `role`."""
        _, raw = org_services.issue_token(user=self.officers[role].user, name="fuzz")
        return raw

    def pick(self, kind: str, value: object) -> object:
        """Deterministically swap a generated UUID for an existing id of `kind` (3 in 4 times).

        The choice is a function of the generated value, so Hypothesis still controls it: a
        seed reproduces the same requests and shrinking stays meaningful. Anything that is
        not a UUID (negative data) is sent as generated.
        """
        pool = self.ids.get(kind)
        if not pool or not isinstance(value, str):
            return value
        try:
            drawn = UUID(value).int
        except ValueError:
            return value
        if drawn % 4 == 3:
            return value
        return pool[(drawn // 4) % len(pool)]


# The first path segment after /api/v1/ (or a field name) → the kind of id it takes.
KIND_BY_SEGMENT = {
    "districts": "district",
    "units": "unit",
    "officers": "officer",
    "photos": "photo",
    "vehicles": "vehicle",
    "parking-reports": "report",
    "cases": "case",
    "case-approvals": "approval",
}
KIND_BY_FIELD = {
    "district_id": "district",
    "unit_id": "unit",
    "report_id": "report",
    "duplicate_of": "case",
}

# the world of the fuzz item that runs now (set by the `fuzzer` fixture, read by schema hooks)
ACTIVE: list[World | None] = [None]


def build_world() -> World:
    """示范市 with two districts, the officer and the commander who fuzz, and their cases."""
    city = make_city()
    officer = make_officer(city.unit_a, role=Role.OFFICER, username="fuzz_officer")
    commander = make_officer(city.city_unit, role=Role.COMMAND, username="fuzz_commander")
    leader = make_officer(city.unit_a, role=Role.SQUAD_LEADER, username="fuzz_leader")
    stranger = make_officer(city.unit_b, role=Role.OFFICER, username="fuzz_stranger")

    reports = [
        report_in(state, officer, plate=f"鲁PA{12340 + index}")
        for index, state in enumerate(_STATES)
    ]
    # text that reached the database before input validation caught it (or by an import):
    # a control character and a spreadsheet formula, so exports and pages meet it
    hostile = report_in(Status.AWAITING_MOVE, officer, plate="鲁PA12399")
    ParkingReport.objects.filter(pk=hostile.pk).update(place='=HYPERLINK("x")\x07东昌路')
    reports.append(hostile)
    # a case out of the officer's scope (西区), so scoping is fuzzed too
    reports.append(report_in(Status.AWAITING_RECHECK, stranger, plate="鲁PB54321"))
    photos = [
        make_photo(officer, data=image_bytes(exif=camera_exif())),
        make_photo(stranger, data=image_bytes("PNG", size=(320, 240))),
    ]
    vehicles = [
        make_vehicle(city.district_a, plate="鲁PC10001"),
        make_vehicle(city.district_a, plate="鲁PC10002"),
        make_vehicle(city.district_b, plate="鲁PC20001"),
    ]
    districts = [city.city, city.district_a, city.district_b, city.street_a, city.street_b]
    units = [city.city_unit, city.unit_a, city.unit_b]
    everyone = [officer, commander, leader, stranger]
    cases = cases_in_every_state(officer, commander)
    cases.append(case_in_a(stranger))  # and one in 西区, with a pending 作废 request
    world = World(officers={"officer": officer, "commander": commander})
    world.ids = {
        "district": [str(d.public_id) for d in districts],
        "unit": [str(u.public_id) for u in units],
        "officer": [str(o.public_id) for o in everyone],
        "photo": [
            str(photo.public_id)
            for photo in [
                *photos,
                *(r.photo for r in reports),
                *(r.recheck_photo for r in reports if r.recheck_photo),
                *(r.notice_photo for r in reports if r.notice_photo),
            ]
        ],
        "vehicle": [str(v.public_id) for v in vehicles],
        "report": [str(r.public_id) for r in reports],
        "case": [str(c.public_id) for c in cases],
        "approval": [str(a.public_id) for c in cases for a in c.approvals.all()],
    }
    return world
