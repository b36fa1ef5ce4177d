"""Re-encrypting stored personal data under the current field key (`manage.py rotate_field_key`).

Apps register each encrypted column in `ready()` with `register_encrypted_field`, with a
`refresh` for columns derived from the plain value under the key (a keyed digest used for
look-ups). `rotate_batch` re-encrypts up to `batch_size` rows that are not yet under the
current key, in one transaction with the rows locked: a killed run leaves every row either
rotated or untouched, all readable (the old key stays in `SMARTDUTY_FIELD_KEY_FALLBACKS` until
the run reports nothing left), and the next run goes on where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction

from smartduty.kernel.crypto import current_prefix, decrypt_text, encrypt_text
from smartduty.kernel.registry import Registry

Refresh = Callable[[models.Model, str], None]
"""Sets the row's derived columns from the plain value (under the current key)."""


@dataclass(frozen=True)
class EncryptedField:
    """One encrypted column: its model, its name, and what depends on its plain value."""

    model: type[models.Model]
    field: str
    derived: tuple[str, ...] = ()
    refresh: Refresh | None = None


@dataclass(frozen=True)
class Batch:
    """What one `rotate_batch` did."""

    rotated: int
    unreadable: int
    last_pk: int
    """The highest primary key looked at; the next batch starts after it (0: nothing left)."""


_FIELDS: Registry[EncryptedField] = Registry("encrypted field")


def register_encrypted_field(name: str, spec: EncryptedField) -> None:
    """Register an encrypted column (`"vehicles.owner_phone"`); from `ready()`."""
    _FIELDS.register(name, spec)


def encrypted_fields() -> dict[str, EncryptedField]:
    """Every registered encrypted column, by name."""
    return {name: _FIELDS.get(name) for name in _FIELDS.names()}


def stale(spec: EncryptedField) -> models.QuerySet[models.Model]:
    """Rows whose column holds a ciphertext not made with the current key."""
    column = spec.field
    return (
        spec.model._default_manager.exclude(**{column: ""})
        .exclude(**{f"{column}__startswith": current_prefix()})
        .order_by("pk")
    )


def rotate_batch(spec: EncryptedField, *, after_pk: int, batch_size: int) -> Batch:
    """Re-encrypt the next `batch_size` stale rows after `after_pk` in one transaction.

    A row that cannot be decrypted (its key is not configured) is left as it is and counted.
    """
    with transaction.atomic():
        rows = list(stale(spec).filter(pk__gt=after_pk).select_for_update()[: max(1, batch_size)])
        if not rows:
            return Batch(rotated=0, unreadable=0, last_pk=0)
        changed, unreadable = [], 0
        for row in rows:
            try:
                plain = decrypt_text(getattr(row, spec.field))
            except ValueError:
                unreadable += 1
                continue
            setattr(row, spec.field, encrypt_text(plain))
            if spec.refresh is not None:
                spec.refresh(row, plain)
            changed.append(row)
        if changed:
            spec.model._default_manager.bulk_update(changed, [spec.field, *spec.derived])
        last = rows[-1].pk
    return Batch(rotated=len(changed), unreadable=unreadable, last_pk=int(last))
