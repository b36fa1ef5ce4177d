"""Field validation for rows about to be written on a hot path."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from smartduty.kernel.errors import ValidationFailed


def check_fields(obj: models.Model, *, prefix: str = "") -> None:
    """`full_clean` without queries: field checks (lengths, choices, validators) only.

    For services that loaded the foreign keys themselves and validated what the model's check
    constraints guard; the database enforces constraints and uniqueness again, while Django's
    own validation would spend one query on each. Raises `ValidationFailed` (422) with the
    messages, after `prefix`.
    """
    try:
        obj.full_clean(
            exclude=[field.name for field in obj._meta.concrete_fields if field.is_relation],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        raise ValidationFailed(prefix + "；".join(exc.messages), details=exc.message_dict) from exc
