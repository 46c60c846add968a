"""The executor: the pipeline that reads, plans and applies, paced by one rate governor.

One pipeline serves plan, apply, dry run and drift (DESIGN.md section 3): users flow through a
bounded queue to `concurrency` workers; each is read (every page), planned by the pure planner and,
for apply, its actions are carried out in order with retries. It depends on the small `Backend` /
`ReadBackend` protocols, never on `mfasync.api`, the manifests, rendering or the CLI: the CLI plugs
in the real client and the governor. aiolimiter lives here and nowhere else. Nothing here prints.

Public API:
    ReadBackend, Backend, DryRunBackend, RecordedRequest   (backends)
    RateGovernor, GovernorStats                            (governor)
    Retrier                                                (retrying)
    plan_users, run_bounded, resolve_user_id, resolve_emails   (pipeline)
    apply_plan, enforce_guards                             (applying)
    apply_saved_plan                                       (saved)
    ApplyReport, UserOutcome, ActionOutcome, UserStatus, ActionStatus   (reports)
    UserEvent, Phase                                       (events)
    StateRecorder, JournaledBackend                        (recording: the state's side)
    StopSignal, Abandoned                                  (stopping: Ctrl-C, gently then at once)
"""

from __future__ import annotations

from mfasync.executing.applying import apply_plan, enforce_guards
from mfasync.executing.backends import Backend, DryRunBackend, ReadBackend, RecordedRequest
from mfasync.executing.events import Phase, UserEvent
from mfasync.executing.governor import GovernorStats, RateGovernor
from mfasync.executing.pipeline import (
    plan_users,
    resolve_emails,
    resolve_user_id,
    run_bounded,
)
from mfasync.executing.recording import JournaledBackend, StateRecorder
from mfasync.executing.reports import (
    ActionOutcome,
    ActionStatus,
    ApplyReport,
    UserOutcome,
    UserStatus,
)
from mfasync.executing.retrying import Retrier
from mfasync.executing.saved import apply_saved_plan
from mfasync.executing.stopping import Abandoned, StopSignal

__all__ = [
    "Abandoned",
    "ActionOutcome",
    "ActionStatus",
    "ApplyReport",
    "Backend",
    "DryRunBackend",
    "GovernorStats",
    "JournaledBackend",
    "Phase",
    "RateGovernor",
    "ReadBackend",
    "RecordedRequest",
    "Retrier",
    "StateRecorder",
    "StopSignal",
    "UserEvent",
    "UserOutcome",
    "UserStatus",
    "apply_plan",
    "apply_saved_plan",
    "enforce_guards",
    "plan_users",
    "resolve_emails",
    "resolve_user_id",
    "run_bounded",
]
