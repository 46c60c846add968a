"""Applying a saved plan (`apply --plan FILE`): re-read, re-plan, compare, then apply.

Each user that had actions is re-read and re-planned first; a user whose live methods or whose
re-planned actions differ from what the plan saved is reported stale and left alone, and the
others are applied as a fresh plan would be (`applying`). This module never prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from mfasync import models, plans, settings
from mfasync.executing import (
    applying,
    backends,
    events,
    pipeline,
    recording,
    reports,
    retrying,
    stopping,
)
from mfasync.executing import governor as governing


async def apply_saved_plan(
    saved: plans.SavedPlan,
    users: Sequence[models.DesiredUser],
    *,
    backend: backends.Backend,
    policy: models.Policy,
    settings: settings.RunSettings,
    resolver: pipeline.UserResolver,
    force: bool = False,
    on_event: events.EventSink | None = None,
    governor: governing.RateGovernor | None = None,
    recorder: recording.StateRecorder | None = None,
    stop: stopping.StopSignal | None = None,
) -> reports.ApplyReport:
    """Apply a saved plan: re-read and re-plan each user that had actions; apply the unchanged.

    A user whose live fingerprint or re-planned action digest differs from the saved one is
    reported STALE and not touched. The planning policy is the one saved in the plan where it
    says (`SavedPlan.policy_for`), else `policy`.
    """
    retrier = retrying.Retrier(settings.retry, governor=governor)
    resolved: dict[str, str] = {}
    if saved.users.keyed_by_resolved_ids:
        # saved without a state, an `email:` user is stored by the id it resolved to
        # (an address that resolves to no one leaves its saved entry unmatched: reported as
        # no longer declared, or by its saved error)
        resolved = await pipeline.resolve_emails(
            users, backend=backend, retrier=retrier, concurrency=settings.rate.concurrency
        )
    effective = saved.policy_for(users, fallback=policy, resolved=resolved)
    by_key = {user.key: user for user in users}
    # saved plans store email keys in another form; look users up by the stored one
    by_saved_key: dict[str, models.DesiredUser] = {}
    for user in users:
        found = saved.users.find(user.key, user_id=resolved.get(user.key))
        if found is not None:
            by_saved_key.setdefault(found.key, user)
    context = applying.Context(
        backend=backend,
        retrier=retrier,
        desired=by_key,
        policy=effective,
        resolver=resolver,
        stop=stop,
    )
    outcomes: list[reports.UserOutcome] = []
    fresh: list[plans.UserPlan] = []

    async def check(key: str) -> None:
        saved_user = saved.users[key]
        desired = by_saved_key.get(saved_user.key)
        if desired is None and saved_user.error is not None:
            outcome = reports.UserOutcome(  # the saved error is all there is to report
                saved_user.key, saved_user.user_id, reports.UserStatus.FAILED, saved_user.error
            )
        elif desired is None:
            outcome = reports.UserOutcome(
                saved_user.key,
                saved_user.user_id,
                reports.UserStatus.SKIPPED,
                "no email: entry of the manifests resolves to this user any more; plan again"
                if saved_user.key.startswith(plans.EMAIL_OF_PREFIX)
                else "no longer declared in the manifests",
            )
        elif saved_user.error is not None:
            outcome = reports.UserOutcome(
                desired.key,
                saved_user.user_id,
                reports.UserStatus.FAILED,
                saved_user.error,
                source=plans.declared_at(desired),
            )
        else:
            user_plan, _ = await pipeline.read_and_plan(
                desired,
                backend=backend,
                retrier=retrier,
                policy=effective,
                resolver=resolver,
                fingerprint=True,  # compared with the saved plan's
                recorder=recorder,
            )
            stale = _stale_reason(saved_user, user_plan, fingerprinter=saved.fingerprinter)
            if stale is None:
                fresh.append(user_plan)
                return
            status = reports.UserStatus.FAILED if user_plan.error else reports.UserStatus.STALE
            outcome = reports.UserOutcome(
                user_plan.key, user_plan.user_id, status, stale, source=user_plan.source
            )
        outcomes.append(outcome)
        events.emit(
            on_event,
            events.UserEvent(events.Phase.APPLY, outcome.key, outcome.status, outcome.message),
        )

    pending = [key for key, user in saved.users.items() if user.actions or user.error]
    unchanged = len(saved.users) - len(pending)
    unchecked = iter(pending)
    await pipeline.run_bounded(
        unchecked,
        check,
        concurrency=settings.rate.concurrency,
        stop_when=None if stop is None else lambda: stop.requested,
    )
    for key in unchecked:  # a stop came while the saved plan was being checked
        saved_user = saved.users[key]
        desired = by_saved_key.get(saved_user.key)
        outcomes.append(
            reports.UserOutcome(
                desired.key if desired is not None else saved_user.key,
                saved_user.user_id,
                reports.UserStatus.NOT_STARTED,
                applying.NOT_STARTED_MESSAGE,
                source=None if desired is None else plans.declared_at(desired),
            )
        )
    fresh_plan = plans.Plan(users=tuple(fresh))
    applying.enforce_guards(fresh_plan, settings.safety, force=force)
    outcomes += await applying.apply_changed(
        fresh_plan.users, context, concurrency=settings.rate.concurrency, on_event=on_event
    )
    return applying.report(outcomes, unchanged=unchanged, context=context, governor=governor)


def _stale_reason(
    saved_user: plans.SavedUser, user_plan: plans.UserPlan, *, fingerprinter: plans.Fingerprinter
) -> str | None:
    """Why the saved actions no longer fit this user (None: they do). Errors come first."""
    if user_plan.error is not None:
        return user_plan.error
    if user_plan.live_fingerprint != saved_user.live_fingerprint:
        return "the user's live methods changed since the plan was saved; plan again"
    if user_plan.action_digest(fingerprinter) != saved_user.action_digest:
        return "the manifests or secrets changed the user's actions since the plan was saved"
    return None
