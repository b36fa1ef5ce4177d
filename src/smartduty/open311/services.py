"""Writes of the Open311 interface: partners' keys and service requests.

`submit_request` turns a GeoReport v2 POST into a case of the case core (channel PUBLIC,
`cases.services.report_public_case`) in the district of the key that sent it: every check
first, then the photo's slow work (`evidence.prepare_photo`, and its files put in storage
by `write_photo_files`; ADR 0007), then one transaction that writes the photo's rows, the
case and its `PublicReport` with a fresh token.

Tokens: the case is made at once, so the answer carries its number (`service_request_id`);
it carries the report's `token` too, which `tokens/{token}` turns into that number. A
partner built for the spec's asynchronous flow (keep the token, ask for the id later) works
unchanged, and creation could move behind a queue without a change to partners or rows.

The reporter's contact is kept only while it may be needed (PIPL): when the case ends
(`cases.events.case_ended`, received in `receivers.py`) `schedule_contact_erasure` sets the
durable timer `open311.erase_contact` `OPEN311_CONTACT_RETENTION_DAYS` later, and
`erase_contact` blanks it then, with an audit row.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Final
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from smartduty.cases import services as cases_services
from smartduty.cases.models import Case, Category
from smartduty.cases.states import TERMINAL
from smartduty.evidence.services import prepare_photo, save_prepared_photo, write_photo_files
from smartduty.evidence.states import PhotoKind
from smartduty.kernel import audit, timers
from smartduty.kernel.crypto import encrypt_text, mask_phone
from smartduty.kernel.errors import PermissionDenied, ValidationFailed
from smartduty.kernel.text import has_hidden_characters
from smartduty.open311 import selectors
from smartduty.open311.models import ApiKey, PublicReport
from smartduty.org.models import District
from smartduty.org.selectors import Actor

KEY_PREFIX: Final = "o311_"
ERASE_CONTACT: Final = "open311.erase_contact"
"""Timer kind: the retention period of an ended case's public reporter contact ran out."""
SUBJECT: Final = "open311.publicreport"
_PHONE: Final = re.compile(r"\+?[0-9][0-9 -]{4,19}")
_TRUE: Final = frozenset({"true", "1", "yes", "是"})
_FALSE: Final = frozenset({"false", "0", "no", "否"})


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def clean_key_name(name: str) -> str:
    """A key's name, stripped (422 for an empty, too long or hidden-character one)."""
    name = name.strip()
    if not name or len(name) > 60 or has_hidden_characters(name):
        raise ValidationFailed("密钥名称须为 1 到 60 个可见字符")
    return name


def issue_api_key(
    *, name: str, district: District, actor: Actor = None, ip_address: str | None = None
) -> tuple[ApiKey, str]:
    """A new partner key for `district`; the raw value is returned once and never stored
    (only its SHA-256 digest and a prefix to tell keys apart). Audited."""
    name = clean_key_name(name)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, district=district, prefix=raw[:10], digest=_digest(raw))
    key.full_clean()
    with transaction.atomic():
        key.save()
        audit.record(
            actor=actor,
            action="open311.key_issued",
            obj=key,
            district_path=district.path,
            changes={"name": name, "prefix": key.prefix},
            ip_address=ip_address,
        )
    return key, raw


def authenticate_key(*, raw: str) -> ApiKey:
    """The active key with this raw value (403 for a missing, unknown or disabled one)."""
    key = selectors.find_active_key(digest=_digest(raw.strip())) if raw.strip() else None
    if key is None:
        raise PermissionDenied("api_key 无效或已停用（invalid api_key）")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    """400 for a `jurisdiction_id` this install does not serve (absent is fine)."""
    if jurisdiction_id is not None and jurisdiction_id not in settings.OPEN311_JURISDICTION_IDS:
        raise ValidationFailed("jurisdiction_id 无效（invalid jurisdiction_id）")


@dataclass(frozen=True)
class Contact:
    """The reporter's contact as the client sent it (all optional)."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""


def _clean_contact(contact: Contact) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, given, limit in (
        ("first_name", contact.first_name, 30),
        ("last_name", contact.last_name, 30),
        ("email", contact.email, 254),
        ("phone", contact.phone, 20),
    ):
        value = given.strip()
        if not value:
            continue
        if len(value) > limit or has_hidden_characters(value):
            raise ValidationFailed(f"{name} 无效（invalid {name}）")
        clean[name] = value
    if "email" in clean:
        try:
            validate_email(clean["email"])
        except ValidationError:
            raise ValidationFailed("email 格式无效（invalid email）") from None
    if "phone" in clean and _PHONE.fullmatch(clean["phone"]) is None:
        raise ValidationFailed("phone 格式无效（invalid phone）")
    return clean


def _clean_media_url(url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if (
        len(url) > 500
        or parts.scheme not in {"http", "https"}
        or not parts.netloc
        or has_hidden_characters(url)
        or any(c in url for c in " <>\"'`")
    ):
        raise ValidationFailed("media_url 须为 http(s) 链接（invalid media_url）")
    return url


def _typed_answers(category: Category, attributes: dict[str, str]) -> dict[str, object]:
    """`attribute[code]` strings as the case core's form answers (booleans from true/false;
    `cases.services.clean_form_data` checks the rest)."""
    types = {f["name"]: f["type"] for f in category.form_fields}
    answers: dict[str, object] = {}
    for code, value in attributes.items():
        if types.get(code) == "boolean" and value.strip():
            word = value.strip().lower()
            if word not in _TRUE | _FALSE:
                raise ValidationFailed(f"attribute[{code}] 须为 true 或 false")
            answers[code] = word in _TRUE
        else:
            answers[code] = value
    return answers


def source_name(key: ApiKey) -> str:
    """How timelines name a partner: `Open311·<key name>`."""
    return f"Open311·{key.name}"


def submit_request(
    *,
    key: ApiKey,
    category: Category,
    lat: float | None,
    lon: float | None,
    address: str,
    description: str,
    attributes: dict[str, str],
    media_url: str = "",
    contact: Contact | None = None,
    media: IO[bytes] | None = None,
    media_name: str = "media",
) -> PublicReport:
    """POST requests: a case of `category` in the key's district, channel PUBLIC, and its
    `PublicReport` with a new token (400 for a missing location or a bad field, 413 for a
    photo over the limits)."""
    if (lat is None) != (lon is None):
        raise ValidationFailed("lat 与 long 须同时提供（lat and long go together）")
    if lat is None and not address.strip():
        raise ValidationFailed(
            "须提供位置：lat/long 或 address_string（location required: lat & long or "
            "address_string）"
        )
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed("坐标超出范围（lat/long out of range）")
    if len(address.strip()) > 60:
        raise ValidationFailed("address_string 最多 60 个字（address_string too long）")
    district = key.district
    principal = cases_services.public_principal(district=district, source=source_name(key))
    answers = _typed_answers(category, attributes)
    description, place, _ = cases_services.check_may_report(
        principal=principal,
        category=category,
        district=district,
        description=description,
        place=address,
        form_data=answers,
    )
    clean_contact = _clean_contact(contact or Contact())
    clean_url = _clean_media_url(media_url)
    prepared = (
        prepare_photo(
            principal=principal,
            officer=None,
            district=district,
            data=media,
            filename=media_name,
            client_lat=lat,
            client_lon=lon,
            place=place,
            kind=PhotoKind.SCENE,
        )
        if media is not None
        else None
    )
    files = write_photo_files(prepared) if prepared is not None else None  # storage: no lock held
    with transaction.atomic():
        photo = save_prepared_photo(prepared, files) if prepared is not None else None
        case = cases_services.report_public_case(
            source=source_name(key),
            category=category,
            district=district,
            description=description,
            place=place,
            lat=lat,
            lon=lon,
            form_data=answers,
            photo=photo,
        )
        report = PublicReport(
            case=case,
            api_key=key,
            token=new_token(),
            media_url=clean_url,
            contact_encrypted=(
                encrypt_text(json.dumps(clean_contact, ensure_ascii=False)) if clean_contact else ""
            ),
            phone_masked=mask_phone(clean_contact["phone"]) if "phone" in clean_contact else "",
        )
        report.full_clean()
        report.save()
        if case.status in TERMINAL:  # a linked duplicate ends at once, before the report existed
            schedule_contact_erasure(case=case)
    return report


def new_token() -> str:
    """A service request's token: 32 hex digits (128 random bits)."""
    return secrets.token_hex(16)


def disable_api_key(*, prefix: str) -> int:
    """Disable the active keys with this prefix; returns how many."""
    return ApiKey.objects.filter(prefix=prefix, is_active=True).update(is_active=False)


def disable_api_keys(
    *, keys: QuerySet[ApiKey], actor: Actor = None, ip_address: str | None = None
) -> int:
    """Disable the active keys among `keys` (already scoped by the caller), one audit row
    each (`open311.key_disabled`); returns how many."""
    with transaction.atomic():
        active = list(keys.filter(is_active=True).select_related("district"))
        ApiKey.objects.filter(pk__in=[key.pk for key in active]).update(is_active=False)
        for key in active:
            audit.record(
                actor=actor,
                action="open311.key_disabled",
                obj=key,
                district_path=key.district.path,
                changes={"prefix": key.prefix},
                ip_address=ip_address,
            )
    return len(active)


# --- retention of the reporter's contact (PIPL) -------------------------------------------


def retention() -> timedelta:
    """How long a reporter's contact is kept after the case ends
    (`OPEN311_CONTACT_RETENTION_DAYS`, default 30)."""
    return timedelta(days=int(getattr(settings, "OPEN311_CONTACT_RETENTION_DAYS", 30)))


def schedule_contact_erasure(*, case: Case) -> None:
    """The case ended: erase its public reporter's contact `retention()` from now (the timer
    `open311.erase_contact`), in the caller's transaction. Nothing for a case that did not
    come in through Open311 or whose report holds no contact; one pending erasure per report
    (dedupe key), so a second call keeps the first due time."""
    report = PublicReport.objects.filter(case=case).only("pk", "contact_encrypted").first()
    if report is None or not report.contact_encrypted:
        return
    timers.schedule(
        kind=ERASE_CONTACT,
        subject_type=SUBJECT,
        subject_id=str(report.pk),
        due_at=timezone.now() + retention(),
        dedupe_key=f"{ERASE_CONTACT}:{report.pk}",
    )


def erase_contact(*, report_id: int) -> bool:
    """Timer handler body: blank the reporter's encrypted contact and masked phone, set
    `contact_erased_at` and write one audit row. Idempotent: an erased report, or one whose
    case has not ended (a timer that outlived a restored backup), is left as it is. Returns
    whether anything was erased."""
    with transaction.atomic():
        report = (
            PublicReport.objects.select_for_update()
            .select_related("case__district")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.case.status not in TERMINAL:
            return False
        if not report.contact_encrypted and not report.phone_masked:
            return False
        report.contact_encrypted = ""
        report.phone_masked = ""
        report.contact_erased_at = timezone.now()
        report.save(update_fields=["contact_encrypted", "phone_masked", "contact_erased_at"])
        audit.record(
            actor=None,
            action=ERASE_CONTACT,
            obj=report.case,
            district_path=report.case.district.path,
            reason=f"保留期满（{retention().days} 天），已清除公众上报人的联系方式",
        )
    return True
