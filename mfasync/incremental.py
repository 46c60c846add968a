"""Whether a run may be incremental, from the state's checkpoint alone (DESIGN.md section 8). Pure.

The CLI asks `scan_mode` before it reads any log page: a full scan is forced by `--full`, by a
missing checkpoint, or by a checkpoint older than the log retention (the events since it may be
gone); a warning is due when the last full scan is older than `--max-full-scan-age-days`, because
the logs miss some changes. Reasons from the log events themselves come from `mfasync.changefeed`.
It reads no clock: `now` is handed in. `select` then picks the users an incremental run reads.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence

from mfasync import models, records


@dataclasses.dataclass(frozen=True, slots=True)
class ScanMode:
    """Full or incremental, with the one-line reason for a full scan and an optional warning."""

    full_scan_reason: str | None
    warning: str | None


def scan_mode(
    checkpoint: records.Checkpoint | None,
    *,
    now: datetime.datetime,
    full: bool,
    log_retention_days: float,
    max_full_scan_age_days: float,
) -> ScanMode:
    """The mode of a run asked to be incremental (or forced full with `full`)."""
    warning = None
    if checkpoint is not None and checkpoint.last_full_scan_at is not None:
        age = now - checkpoint.last_full_scan_at
        if age > datetime.timedelta(days=max_full_scan_age_days):
            warning = (
                f"the last full scan is {age.days} days old (more than {max_full_scan_age_days:g}):"
                " the logs miss some changes, run with --full"
            )
    if full:
        return ScanMode(full_scan_reason="full scan asked for (--full)", warning=None)
    if checkpoint is None or checkpoint.log_id is None:
        return ScanMode(full_scan_reason="full scan: no log checkpoint yet", warning=None)
    if now - checkpoint.taken_at > datetime.timedelta(days=log_retention_days):
        return ScanMode(
            full_scan_reason=(
                f"full scan: the log checkpoint of {checkpoint.taken_at:%Y-%m-%d %H:%M} is older"
                f" than the log retention ({log_retention_days:g} days)"
            ),
            warning=None,
        )
    return ScanMode(full_scan_reason=None, warning=warning)


@dataclasses.dataclass(frozen=True, slots=True)
class Selection:
    """The users an incremental run reads, and how many it leaves unread (unchanged since)."""

    read: tuple[models.DesiredUser, ...]
    skipped: int
    since: datetime.datetime | None  # the oldest last listing among the skipped users


def select(
    users: Sequence[models.DesiredUser],
    *,
    user_records: Mapping[str, records.UserRecord],
    desired_fingerprints: Mapping[str, str | None],
    named: frozenset[str],
) -> Selection:
    """The users to re-read (DESIGN.md section 8); every other one is unchanged since its listing.

    A user is skipped only when its last listing found it in sync with the same desired entry
    (`desired_fingerprints`, by manifest key) and no log event names it (`named`). A user declared
    by `email:` is always read: its user id is known only once the email is looked up.
    """
    read: list[models.DesiredUser] = []
    skipped: list[datetime.datetime] = []
    for user in users:
        record = user_records.get(user.user_id) if user.user_id is not None else None
        wanted = desired_fingerprints.get(user.key)
        if (
            record is None
            or user.user_id in named
            or not record.in_sync
            or record.last_listed_at is None
            or wanted is None
            or record.desired_fingerprint != wanted
        ):
            read.append(user)
        else:
            assert record.last_listed_at is not None
            skipped.append(record.last_listed_at)
    return Selection(read=tuple(read), skipped=len(skipped), since=min(skipped, default=None))
