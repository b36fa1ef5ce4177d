"""Enumerations of the org app."""

from django.db import models


class DistrictLevel(models.TextChoices):
    """Administrative level of a district node."""

    CITY = "city", "市"
    DISTRICT = "district", "区县"
    STREET = "street", "街道"


class AgencyKind(models.TextChoices):
    """Who handles cases: the two agencies that work jointly, the 街道办事处, and contractors
    (作业单位, e.g. the cleaners who remove small ads)."""

    CHENGGUAN = "chengguan", "城管"
    JIAOJING = "jiaojing", "交警"
    STREET = "street", "街道办事处"
    CONTRACTOR = "contractor", "作业单位"


class UnitLevel(models.TextChoices):
    """Levels of a unit inside an agency."""

    ZHIDUI = "zhidui", "支队"
    DADUI = "dadui", "大队"
    ZHONGDUI = "zhongdui", "中队"


class Role(models.TextChoices):
    """Roles, implemented as Django groups named by their label (`roles.ROLE_PERMISSIONS`).

    The 监督员 (grid supervisor of 数字城管, domain.md §1.2) patrols, reports problems and
    verifies (核查) handled cases in the field; the 指挥中心 registers and dispatches them and
    the units' 中队长 and 队员 handle them.
    """

    COMMAND = "command", "指挥中心"
    SQUAD_LEADER = "squad_leader", "中队长"
    OFFICER = "officer", "队员"
    TRAFFIC_POLICE = "traffic_police", "交警"
    SUPERVISOR = "supervisor", "监督员"
    SYSADMIN = "sysadmin", "系统管理员"
