"""scan_mode: when the checkpoint alone forces a full scan, and the stale-full-scan warning."""

from __future__ import annotations

import datetime

from mfasync import incremental, records

NOW = datetime.datetime(2026, 12, 2, 2, 0, tzinfo=datetime.UTC)


def mode(checkpoint: records.Checkpoint | None, *, full: bool = False) -> incremental.ScanMode:
    return incremental.scan_mode(
        checkpoint, now=NOW, full=full, log_retention_days=2, max_full_scan_age_days=7
    )


def point(*, taken_h: float, full_d: float | None = 1) -> records.Checkpoint:
    return records.Checkpoint(
        log_id="9001",
        taken_at=NOW - datetime.timedelta(hours=taken_h),
        last_full_scan_at=None if full_d is None else NOW - datetime.timedelta(days=full_d),
    )


def test_no_checkpoint_forces_a_full_scan() -> None:
    assert mode(None).full_scan_reason == "full scan: no log checkpoint yet"


def test_a_recent_checkpoint_allows_an_incremental_run() -> None:
    assert mode(point(taken_h=24)) == incremental.ScanMode(full_scan_reason=None, warning=None)


def test_a_checkpoint_older_than_retention_forces_a_full_scan() -> None:
    reason = mode(point(taken_h=49)).full_scan_reason
    assert reason is not None
    assert "older than the log retention (2 days)" in reason


def test_full_flag_forces_a_full_scan() -> None:
    assert mode(point(taken_h=1), full=True).full_scan_reason == "full scan asked for (--full)"


def test_an_old_full_scan_warns_but_stays_incremental() -> None:
    result = mode(point(taken_h=1, full_d=8))
    assert result.full_scan_reason is None
    assert result.warning is not None
    assert "8 days old" in result.warning
