"""The log-in throttle: one policy for the API tokens, the back office and the session log-in.

Failed log-ins (wrong password or one-time code) are `LoginFailure` rows, counted inside a
sliding window (`LOGIN_WINDOW_SECONDS`, default 15 min) three ways:

- per (account, source address): `LOGIN_PAIR_LIMIT` (5) failures lock that pair only, so a
  stranger guessing from one address cannot keep the owner out when they log in elsewhere;
- per source address across accounts: `LOGIN_SOURCE_LIMIT` (20) failures lock the address
  (password spraying);
- per account across all sources: past `LOGIN_ACCOUNT_LIMIT` (20) failures each source gets
  a single wrong try for that account, which slows distributed guessing to one guess per
  address per window but never locks the account: a clean address with the right password
  still logs in.

A lock lifts when enough failures leave the window (`Retry-After` says when). Every failure,
every lock, every refused attempt and every success is an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from smartduty.kernel import audit
from smartduty.kernel.errors import TooManyAttempts
from smartduty.org.models import LoginFailure

PRUNE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Attempt:
    """Who tries to log in, from where, through which door (`api`, `admin`, `web`)."""

    username: str
    ip_address: str
    channel: str

    @property
    def key(self) -> str:
        """The account name as counted: case-folded, so `Alice` and `alice` count together."""
        return self.username.strip().casefold()[:150]


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)


def _locked_until(times: list[datetime], limit: int) -> datetime | None:
    """With the newest failures first: when the `limit`-th newest leaves the window."""
    if len(times) < limit:
        return None
    return times[limit - 1] + _window()


def _recent(limit: int, **filters: str) -> list[datetime]:
    since = timezone.now() - _window()
    return list(
        LoginFailure.objects.filter(at__gt=since, **filters)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )


def check_allowed(attempt: Attempt) -> None:
    """Refuse (429, audited) an attempt from a locked source or (account, source) pair."""
    now = timezone.now()
    scopes: list[tuple[str, datetime | None]] = []
    if attempt.ip_address:
        source = _recent(settings.LOGIN_SOURCE_LIMIT, ip_address=attempt.ip_address)
        scopes.append(("source", _locked_until(source, settings.LOGIN_SOURCE_LIMIT)))
    account_wide = _recent(settings.LOGIN_ACCOUNT_LIMIT, username=attempt.key)
    pair_limit = (
        1 if len(account_wide) >= settings.LOGIN_ACCOUNT_LIMIT else settings.LOGIN_PAIR_LIMIT
    )
    pair = _recent(pair_limit, username=attempt.key, ip_address=attempt.ip_address)
    scopes.append(("account_source", _locked_until(pair, pair_limit)))
    locked = [(scope, until) for scope, until in scopes if until is not None and until > now]
    if not locked:
        return
    scope, until = max(locked, key=lambda item: item[1])
    retry_after = max(1, ceil((until - now).total_seconds()))
    _audit(attempt, "auth.login_throttled", scope=scope, retry_after=retry_after)
    raise TooManyAttempts(
        f"登录失败次数过多，已临时锁定，请 {_minutes(retry_after)} 分钟后再试",
        retry_after=retry_after,
    )


def record_failure(attempt: Attempt, *, reason: str) -> None:
    """Count one failure (audited), audit a lock it starts, and prune rows of past days."""
    now = timezone.now()
    with transaction.atomic():
        LoginFailure.objects.filter(at__lt=now - PRUNE_AFTER).delete()
        LoginFailure.objects.create(username=attempt.key, ip_address=attempt.ip_address, at=now)
        _audit(attempt, "auth.login_failed", reason=reason)
        pair = _recent(
            settings.LOGIN_PAIR_LIMIT, username=attempt.key, ip_address=attempt.ip_address
        )
        if len(pair) == settings.LOGIN_PAIR_LIMIT:
            _audit_lock(attempt, "account_source", _locked_until(pair, settings.LOGIN_PAIR_LIMIT))
        if attempt.ip_address:
            source = _recent(settings.LOGIN_SOURCE_LIMIT, ip_address=attempt.ip_address)
            if len(source) == settings.LOGIN_SOURCE_LIMIT:
                _audit_lock(attempt, "source", _locked_until(source, settings.LOGIN_SOURCE_LIMIT))
        account_wide = _recent(settings.LOGIN_ACCOUNT_LIMIT, username=attempt.key)
        if len(account_wide) == settings.LOGIN_ACCOUNT_LIMIT:
            _audit(attempt, "auth.login_slowed", scope="account")


def record_success(attempt: Attempt, *, user: AbstractBaseUser, otp: str) -> None:
    """Audit a completed log-in and forget this pair's failures (not the address's)."""
    with transaction.atomic():
        LoginFailure.objects.filter(username=attempt.key, ip_address=attempt.ip_address).delete()
        audit.record(
            actor=user,  # type: ignore[arg-type]  # AbstractBaseUser is the configured user
            action="auth.login_succeeded",
            object_type="auth.user",
            object_id=attempt.username[:64],
            changes={"channel": attempt.channel, "otp": otp},
            ip_address=attempt.ip_address or None,
        )


def _audit_lock(attempt: Attempt, scope: str, until: datetime | None) -> None:
    retry_after = ceil((until - timezone.now()).total_seconds()) if until else 0
    _audit(attempt, "auth.login_locked", scope=scope, retry_after=max(retry_after, 1))


def _audit(attempt: Attempt, action: str, **changes: object) -> None:
    audit.record(
        actor=None,
        action=action,
        object_type="auth.user",
        object_id=attempt.username[:64],
        changes={"channel": attempt.channel, **changes},
        ip_address=attempt.ip_address or None,
    )


def _minutes(seconds: int) -> int:
    return max(1, ceil(seconds / 60))
