"""Back-office forms of the vehicles app: the vehicle form (plain phone in, never out), the
reveal reason and the import upload. Validation reuses the pure plate and phone rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from smartduty.kernel.errors import DomainError
from smartduty.org.models import District
from smartduty.vehicles.models import Vehicle
from smartduty.vehicles.phones import normalize_mobile
from smartduty.vehicles.plates import PlateColor, parse_plate, resolve_color


class VehicleAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """Vehicle form: the phone is typed in plain, stored encrypted, and never shown back."""

    plate_color = forms.ChoiceField(
        label="号牌颜色",
        required=False,
        choices=[("", "按号牌种类自动判断"), *PlateColor.choices],
    )
    owner_phone = forms.CharField(
        label="车主电话",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="11 位手机号码，加密保存；修改车辆时留空表示不修改。",
    )

    class Meta:
        model = Vehicle
        fields = ("district", "plate", "plate_color", "owner_name")

    def clean_plate(self) -> str:
        """Normalise and validate to GA 36-2018 (so the uniqueness check sees the real plate)."""
        try:
            return parse_plate(self.cleaned_data.get("plate") or "").text
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_owner_phone(self) -> str:
        """Required when adding; a mainland mobile number."""
        raw = self.cleaned_data.get("owner_phone") or ""
        if not raw.strip():
            if self.instance.pk is None:
                raise forms.ValidationError("请填写车主电话")
            return ""
        try:
            return normalize_mobile(raw)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self) -> dict[str, Any]:
        """The colour must suit the plate kind."""
        data = super().clean() or {}
        plate = data.get("plate") or self.instance.plate
        color = data.get("plate_color")
        if plate and color:
            try:
                resolve_color(color, parse_plate(plate).kind)
            except DomainError as exc:
                self.add_error("plate_color", exc.message)
        return data


class RevealForm(forms.Form):
    """The reason for looking at a full phone number."""

    reason = forms.CharField(
        label="查看事由",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="至少 4 个字，例如“车辆占用消防通道，联系挪车”。事由将记入审计日志。",
    )


class ImportForm(forms.Form):
    """An .xlsx/.csv upload and the district the vehicles are registered in."""

    district: forms.ModelChoiceField[District] = forms.ModelChoiceField(
        label="登记辖区", queryset=District.objects.none()
    )
    file = forms.FileField(
        label="文件",
        help_text="支持 .xlsx 或 .csv（UTF-8 或 GBK）。表头：车牌号、车主姓名、车主电话，"
        "可选 号牌颜色；也可用 plate、owner_name、owner_phone、color。",
    )

    def __init__(self, *args: Any, districts: QuerySet[District], **kwargs: Any) -> None:
        """`districts`: the districts the user may import into."""
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrowing for mypy
        field.queryset = districts
        field.initial = districts.first()
