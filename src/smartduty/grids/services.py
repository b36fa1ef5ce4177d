"""Writes of the grid layer: save a grid (upsert by code), set who handles it, and import a
GeoJSON FeatureCollection feature by feature.

Every write renews the `GridLayer` token in its transaction, so each process's
point-in-polygon index (`selectors.grid_index`) is rebuilt on its next lookup.

The import (`import_geojson`, also `manage.py import_grids`) is idempotent: a feature whose
code exists updates that grid. Each feature is checked and saved in its own savepoint (a bad
feature is reported with its number and the reason in Chinese; the others are saved), and
features are committed in chunks of `IMPORT_CHUNK`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from smartduty.grids.geometry import GeometryError, bbox_of, parse_geometry
from smartduty.grids.models import Grid, GridLayer, GridUnit
from smartduty.grids.selectors import LAYER_KEY
from smartduty.kernel import audit
from smartduty.kernel.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.scoping import Principal
from smartduty.kernel.text import has_hidden_characters
from smartduty.org.models import District, Unit
from smartduty.org.selectors import Actor
from smartduty.org.states import AgencyKind

MANAGE_GRIDS: Final = "grids.change_grid"
IMPORT_CHUNK: Final = 500
MAX_FEATURES: Final = 50_000
_KIND_BY_NAME: Final = {
    **{kind.value: kind for kind in AgencyKind},
    **{str(kind.label): kind for kind in AgencyKind},
}


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(m for messages in exc.message_dict.values() for m in messages)
    return "；".join(exc.messages)


def layer_changed() -> None:
    """Mark the layer changed (call inside the writing transaction)."""
    GridLayer.objects.update_or_create(
        key=LAYER_KEY, defaults={"token": uuid.uuid4().hex, "changed_at": timezone.now()}
    )


def fill_derived(grid: Grid) -> None:
    """Normalise the geometry and set the bounding box and `updated_at` (422 if unusable)."""
    try:
        polygons, normal = parse_geometry(grid.geometry)
    except GeometryError as exc:
        raise ValidationFailed(str(exc)) from None
    box = bbox_of([ring for polygon in polygons for ring in polygon])
    grid.geometry = normal
    grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat = (
        box.min_lon,
        box.min_lat,
        box.max_lon,
        box.max_lat,
    )
    grid.updated_at = timezone.now()


def _check_may_manage(principal: Principal, district: District) -> None:
    if not principal.has_perm(MANAGE_GRIDS):
        raise PermissionDenied("您没有维护单元网格的权限")
    if not principal.covers(district.path):
        raise NotFound("未找到该辖区，或不在您的辖区范围内")


def _set_units(grid: Grid, units: Mapping[str, Unit | None]) -> None:
    for kind, unit in units.items():
        if unit is None:
            GridUnit.objects.filter(grid=grid, agency_kind=kind).delete()
            continue
        row = GridUnit.objects.filter(grid=grid, agency_kind=kind).first() or GridUnit(
            grid=grid, agency_kind=kind
        )
        row.unit = unit
        try:
            row.full_clean()
        except ValidationError as exc:
            raise ValidationFailed(_message(exc)) from None
        row.save()


def save_grid(
    *,
    principal: Principal,
    code: str,
    name: str,
    district: District,
    geometry: object,
    active: bool = True,
    units: Mapping[str, Unit | None] | None = None,
) -> tuple[Grid, bool]:
    """Create or update (by code) one grid and, where given, its unit per agency kind
    (`None` removes one). Returns the grid and whether it was created."""
    _check_may_manage(principal, district)
    name = name.strip()
    if not name or len(name) > 60 or has_hidden_characters(name):
        raise ValidationFailed("网格名称须为 1 到 60 个字，且不含控制字符")
    with transaction.atomic():
        grid = Grid.objects.select_for_update().filter(code=code).first()
        created = grid is None
        if grid is None:
            grid = Grid(code=code)
        elif not principal.covers(grid.district.path):
            raise ValidationFailed(f"网格编码 {code} 已属于其他辖区")
        grid.name, grid.district, grid.geometry, grid.active = name, district, geometry, active
        fill_derived(grid)
        try:
            grid.full_clean()
        except ValidationError as exc:
            raise ValidationFailed(_message(exc)) from None
        grid.save()
        if units:
            _set_units(grid, units)
        layer_changed()
    return grid, created


# --- GeoJSON import ------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """What happened to one feature (`number` counts from 1, as a person would)."""

    number: int
    code: str
    outcome: Literal["created", "updated", "failed"]
    message: str = ""


@dataclass
class ImportResult:
    rows: list[ImportRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def failed(self) -> list[ImportRow]:
        return [row for row in self.rows if row.outcome == "failed"]


def _load(data: bytes | str | Mapping[str, Any]) -> list[Any]:
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed("文件不是有效的 JSON") from None
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise ValidationFailed("文件须为 GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise ValidationFailed("FeatureCollection 缺少 features 列表")
    if len(features) > MAX_FEATURES:
        raise ValidationFailed(f"要素过多：{len(features)} 个，一次最多 {MAX_FEATURES} 个")
    return features


def _find_unit(reference: object, units: list[Unit], kind: AgencyKind) -> Unit:
    """A unit of this kind named by its public id or exact name among the visible units."""
    text = str(reference).strip()
    found = [
        u for u in units if u.agency.kind == kind and (str(u.public_id) == text or u.name == text)
    ]
    if len(found) != 1:
        why = "找不到" if not found else "有多个同名"
        raise ValidationFailed(f"{kind.label}单位“{text[:40]}”{why}（请用单位名称或编号）")
    return found[0]


def _units_of(properties: Mapping[str, Any], units: list[Unit]) -> dict[str, Unit | None]:
    given = properties.get("units") or {}
    if not isinstance(given, Mapping):
        raise ValidationFailed('units 须为对象，如 {"城管": "东区中队"}')
    out: dict[str, Unit | None] = {}
    for name, reference in given.items():
        kind = _KIND_BY_NAME.get(str(name))
        if kind is None:
            raise ValidationFailed(f"未知的单位类别“{str(name)[:20]}”")
        out[kind.value] = None if reference in (None, "") else _find_unit(reference, units, kind)
    return out


def _district_for(code: str, district: District, streets: dict[str, District]) -> District:
    """The 街道 under the import's district whose code is the grid code's first 9 digits,
    else the import's district."""
    return streets.get(code[:9], district)


def _import_feature(
    feature: object,
    *,
    principal: Principal,
    district: District,
    streets: dict[str, District],
    units: list[Unit],
) -> tuple[str, bool]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise ValidationFailed("不是 GeoJSON Feature")
    properties = feature.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise ValidationFailed("properties 须为对象")
    code = str(properties.get("code") or "").strip()
    if not code:
        raise ValidationFailed("缺少网格编码 code")
    name = str(properties.get("name") or "").strip()
    _, created = save_grid(
        principal=principal,
        code=code,
        name=name,
        district=_district_for(code, district, streets),
        geometry=feature.get("geometry"),
        active=properties.get("active", True) is not False,
        units=_units_of(properties, units),
    )
    return code, created


def import_geojson(
    *,
    principal: Principal,
    actor: Actor,
    district: District,
    data: bytes | str | Mapping[str, Any],
) -> ImportResult:
    """Import the grids of a FeatureCollection into `district` (see the module docstring).

    Properties of each feature: `code` (15 digits), `name`, optional `active` (default true)
    and optional `units`, e.g. `{"城管": "东区中队", "jiaojing": "<unit public_id>"}`."""
    _check_may_manage(principal, district)
    features = _load(data)
    streets = {
        d.code: d
        for d in District.objects.visible_to(principal).filter(path__startswith=district.path)
    }
    units = list(Unit.objects.visible_to(principal).select_related("agency"))
    result = ImportResult()
    seen: set[str] = set()
    for start in range(0, len(features), IMPORT_CHUNK):
        with transaction.atomic():
            for number, feature in enumerate(features[start : start + IMPORT_CHUNK], start + 1):
                raw = feature.get("properties") if isinstance(feature, Mapping) else None
                label = str((raw or {}).get("code") or "")[:20] if isinstance(raw, Mapping) else ""
                if label and label in seen:
                    result.rows.append(ImportRow(number, label, "failed", "文件中网格编码重复"))
                    continue
                try:
                    with transaction.atomic():
                        code, created = _import_feature(
                            feature,
                            principal=principal,
                            district=district,
                            streets=streets,
                            units=units,
                        )
                except DomainError as exc:
                    result.rows.append(ImportRow(number, label, "failed", exc.message))
                    continue
                seen.add(code)
                result.rows.append(ImportRow(number, code, "created" if created else "updated"))
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="grids.import_geojson",
            obj=district,
            district_path=district.path,
            changes={k: result.count(k) for k in ("created", "updated", "failed")},
        )
    return result
