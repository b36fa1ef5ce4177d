"""What each role may do, as Django permissions granted to the role's group.

Kept as data so that a migration of any app can add permissions and the next `migrate`
brings every group up to date (see `receivers.sync_role_groups`).
"""

from __future__ import annotations

from typing import Final

from smartduty.org.states import Role

_VIEW_ORG: Final = (
    "org.view_district",
    "org.view_agency",
    "org.view_unit",
    "org.view_officer",
)
_VIEW_ALL: Final = (
    *_VIEW_ORG,
    "policy.view_districtpolicy",
    "evidence.view_photo",
    "vehicles.view_vehicle",
    "parking.view_parkingreport",
    "cases.view_category",
    "cases.view_calendarday",
    "cases.view_case",
    "cases.view_caseapproval",
    "grids.view_grid",
    "grids.view_gridunit",
)
_FIELD: Final = (
    "evidence.add_photo",
    "parking.report_parking",
    "cases.report_case",
    # the officer app shows the console gateway's copy of an owner SMS (demo provider)
    "notifications.view_consolemessage",
)

ROLE_PERMISSIONS: Final[dict[Role, tuple[str, ...]]] = {
    Role.SYSADMIN: ("*",),
    Role.COMMAND: (
        *_VIEW_ALL,
        "policy.change_districtpolicy",
        "vehicles.reveal_owner_phone",
        "vehicles.import_vehicles",
        *_FIELD,
        "kernel.view_auditentry",
        "kernel.view_timer",
        "notifications.view_delivery",
        "parking.void_parkingreport",
        # the city's categories and its working calendar (放假 / 调休 days)
        "cases.change_category",
        "cases.add_calendarday",
        "cases.change_calendarday",
        "cases.delete_calendarday",
        # 立案, 派遣 and 核查 (the 指挥中心 is also the 监督中心 until a 监督员 role exists)
        "cases.register_case",
        "cases.verify_case",
        # the 单元网格 layer and who answers for each grid (routing of new cases)
        "grids.add_grid",
        "grids.change_grid",
        "grids.add_gridunit",
        "grids.change_gridunit",
        "grids.delete_gridunit",
    ),
    Role.SQUAD_LEADER: (
        *_VIEW_ALL,
        "vehicles.reveal_owner_phone",
        *_FIELD,
        "parking.void_parkingreport",
        "cases.handle_case",
    ),
    Role.OFFICER: (*_VIEW_ALL, *_FIELD, "cases.handle_case"),
    Role.TRAFFIC_POLICE: (*_VIEW_ALL, *_FIELD, "vehicles.reveal_owner_phone", "cases.handle_case"),
}

STAFF_ROLES: Final = frozenset({Role.SYSADMIN, Role.COMMAND, Role.SQUAD_LEADER})
"""Roles whose members may log in to the back office."""

OUR_APPS: Final = (
    "kernel",
    "org",
    "policy",
    "evidence",
    "vehicles",
    "notifications",
    "parking",
    "stats",
    "cases",
    "grids",
    "open311",
)
