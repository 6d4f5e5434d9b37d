"""The credential fakes' clock and the lifetimes of the temporary credentials they serve.

Time is read with ``datetime.now(timezone.utc)`` on every call, so credentials expire on the
fakes' clock, which follows freezegun when a test freezes time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = ["DEFAULT_LIFETIME", "check_duration", "check_expiry", "format_timestamp", "now_utc"]

#: Real IMDS and container agents hand out 6-hour credentials.
DEFAULT_LIFETIME = timedelta(hours=6)


def now_utc() -> datetime:
    """The fake's clock (freezegun patches ``datetime.now``)."""
    return datetime.now(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """IMDS timestamp format: ``2026-11-21T10:00:00Z`` (seconds, ``Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_duration(name: str, value: object) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValueError(f"{name} must be a positive datetime.timedelta, not {value!r}")
    return value


def check_expiry(lifetime: timedelta, expiration: datetime | None, expired: bool) -> None:
    """Refuse a bad ``lifetime``, a naive ``expiration``, or ``expiration`` with ``expired=True``."""
    check_duration("lifetime", lifetime)
    if expiration is not None and (not isinstance(expiration, datetime) or expiration.tzinfo is None):
        raise ValueError(f"expiration must be a timezone-aware datetime, not {expiration!r}")
    if expiration is not None and expired:
        raise ValueError("expiration and expired=True are exclusive: pass one of them")
