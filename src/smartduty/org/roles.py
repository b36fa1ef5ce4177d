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
        # 立案 and 派遣; 核查 too: the 监督员 verify in the field, and the centre's desk may
        # verify a case itself (by video, or where no 监督员 patrols the grid)
        "cases.register_case",
        "cases.verify_case",
        # the 单元网格 layer and who answers for each grid (routing of new cases)
        "grids.add_grid",
        "grids.change_grid",
        "grids.add_gridunit",
        "grids.change_gridunit",
        "grids.delete_gridunit",
        # partners' Open311 keys (the 12345 hotline, a 随手拍 app) for its own districts: the
        # back office generates a key and shows it once; renaming and disabling are changes
        "open311.view_apikey",
        "open311.add_apikey",
        "open311.change_apikey",
        "open311.view_publicreport",
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
    # 监督员: patrols, reports (上报) and verifies (核查) in the field; never registers,
    # dispatches or handles, so the one who checks the work is never the one who did it
    Role.SUPERVISOR: (*_VIEW_ALL, *_FIELD, "cases.verify_case"),
}

STAFF_ROLES: Final = frozenset({Role.SYSADMIN, Role.COMMAND, Role.SQUAD_LEADER})
"""Roles whose members may log in to the back office (a 监督员 works in the officer app,
like a 队员)."""

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
