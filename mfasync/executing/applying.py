"""The write side: carry out each changed user's actions in order, users concurrently.

Per user, the plan's order is kept (creates, then patches, then deletes; or the one PUT), so a user
who had a factor is never left without one. The first action that fails for good stops THAT user's
remaining actions (a delete never runs after its replacing create failed) and is reported with the
API's message; other users go on. A POST whose outcome is unknown, or that met a 409, is settled by
re-listing the user and re-planning it: the create is sent again only if the method is still
missing. A stop request (`stopping`) is honoured between actions. Guards run before anything is
written. Saved plans go through `saved`, which re-reads them first, then comes here.

This module never prints and never reads files; it returns an `ApplyReport`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mfasync import errors, models, planning, plans, settings
from mfasync.executing import (
    backends,
    events,
    pipeline,
    reports,
    retrying,
    stopping,
)
from mfasync.executing import governor as governing

#: The fewest times one create is sent while re-listing proves it missing; the retry settings'
#: `max_attempts` raises it, so an uncertain POST gets the same budget as any retried request.
MAX_CREATE_SETTLES = 3


INTERRUPTED_NOTE = "not sent: the run was stopped"
NOT_STARTED_MESSAGE = "the run was stopped before this user; nothing was sent"
ABANDONED_NOTE = "abandoned in flight by a hard stop: it may or may not have been committed"


@dataclass(frozen=True, slots=True)
class _Done:
    """How an action ended when it did not fail: its status in the report, and a note."""

    status: reports.ActionStatus
    note: str | None = None


_APPLIED = _Done(reports.ActionStatus.APPLIED)
_COMMITTED_DESPITE_ERROR = _Done(
    reports.ActionStatus.APPLIED, "committed despite an error; confirmed by re-listing"
)
_ALREADY_PRESENT = _Done(
    reports.ActionStatus.ALREADY_PRESENT, "already present: another run or person created it"
)
_GONE_ALREADY = _Done(
    reports.ActionStatus.APPLIED, "already gone (an earlier attempt had committed)"
)


class _ActionFailed(Exception):
    """An action failed for good; `message` is what the report says."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Context:
    """What a user's apply needs besides its plan."""

    backend: backends.Backend
    retrier: retrying.Retrier
    desired: Mapping[str, models.DesiredUser]  # by key; secrets resolved on demand
    policy: models.Policy
    resolver: pipeline.UserResolver | None
    stop: stopping.StopSignal | None = None

    @property
    def dry_run(self) -> bool:
        return isinstance(self.backend, backends.DryRunBackend)


def _outcome(
    action: plans.Action, status: reports.ActionStatus, note: str | None = None
) -> reports.ActionOutcome:
    return reports.ActionOutcome(
        op=action.op,
        type=action.type,
        name=action.name,
        display=action.display,
        method_id=action.method_id,
        status=status,
        note=note,
        creates=len(action.methods) if action.op is plans.Op.REPLACE else 0,
    )


def _body(action: plans.Action, context: Context) -> object:
    # The dry run gets the redacted body: a secret never even reaches the recording backend.
    return action.redacted_body() if context.dry_run else action.request_body()


def _desired_key(method: models.DesiredMethod) -> dict[str, object]:
    return method.model_dump(mode="python")


async def _create_still_needed(
    action: plans.Action, user_plan: plans.UserPlan, user_id: str, context: Context
) -> bool:
    """Re-list the user and re-plan it: is a method matching `action.method` still missing?

    Live methods this plan deletes are left out (they are the ones being replaced, e.g. the old
    totp of a re-seed), and the check plans without re-seed and without PUT, so that the question
    is only "does a live method match the desired one?".
    """
    desired = context.desired.get(user_plan.key)
    if desired is None or context.resolver is None or action.method is None:
        raise _ActionFailed("the create's outcome is unknown and the user cannot be re-planned")
    live = await context.retrier.call(lambda: context.backend.list_methods(user_id))
    doomed = {a.method_id for a in user_plan.actions if a.op is plans.Op.DELETE}
    kept = [method for method in live if method.id not in doomed]
    check_policy = models.Policy(reseed_totp=frozenset(), allow_replace=False)
    replan = planning.plan_user(
        context.resolver.resolve_user(desired), kept, check_policy, user_id=user_id
    )
    if replan.error is not None:
        raise _ActionFailed(f"cannot re-plan after an uncertain create: {replan.error}")
    wanted = _desired_key(action.method)
    return any(
        a.op is plans.Op.CREATE and a.method is not None and _desired_key(a.method) == wanted
        for a in replan.actions
    )


async def _create(
    action: plans.Action, user_plan: plans.UserPlan, user_id: str, context: Context
) -> _Done:
    """POST the method; settle an ambiguous outcome or a 409 by re-listing."""
    body = _body(action, context)
    assert isinstance(body, dict)
    uncertain: errors.ApiError | None = None
    # Three straight 5xx on POST are no rarer than on any other request: a fixed budget of 3
    # failed one create in a thousand under 10% 5xx, where every other request gets max_attempts.
    settles = max(MAX_CREATE_SETTLES, context.retrier.max_attempts)
    sends = retrying.Sends()  # a re-sent create is attempt 2, 3... in the request log
    for attempt in range(1, settles + 1):
        try:
            await context.retrier.call(
                lambda: context.backend.create_method(user_id, body), sends=sends
            )
            return _APPLIED
        except errors.AmbiguousWriteError as exc:
            if not await _create_still_needed(action, user_plan, user_id, context):
                return _COMMITTED_DESPITE_ERROR
            uncertain = exc
            await context.retrier.pause(attempt)  # backoff, as for any other 5xx
        except errors.ConflictError as exc:
            if not await _create_still_needed(action, user_plan, user_id, context):
                # after an uncertain attempt the method there is most likely this run's own
                # write; otherwise another run (or person) wrote it and this run wrote nothing
                return _COMMITTED_DESPITE_ERROR if uncertain is not None else _ALREADY_PRESENT
            if _reseeds_with_the_same_seed(action, user_plan):
                raise _ActionFailed(
                    "re-seeding needs a new seed: the authenticator the user has already holds "
                    "this one (the API answered 409); put the new seed behind the reference, or "
                    "drop --reseed"
                ) from exc
            raise _ActionFailed(str(exc)) from exc
    raise _ActionFailed(f"gave up after {settles} uncertain creates: {uncertain}")


def _reseeds_with_the_same_seed(action: plans.Action, user_plan: plans.UserPlan) -> bool:
    """A TOTP create refused as a duplicate while the plan replaces a live TOTP: a re-seed whose
    seed is the live one (the API refuses a second authenticator with the same secret)."""
    return action.type == models.MethodType.TOTP and any(
        other.op is plans.Op.DELETE and other.type == models.MethodType.TOTP
        for other in user_plan.actions
    )


async def _run_action(
    action: plans.Action, user_plan: plans.UserPlan, user_id: str, context: Context
) -> _Done:
    backend, retrier = context.backend, context.retrier
    if action.op is plans.Op.CREATE:
        return await _create(action, user_plan, user_id, context)
    if action.op is plans.Op.REPLACE:
        bodies = _body(action, context)
        assert isinstance(bodies, list)
        await retrier.call(lambda: backend.replace_methods(user_id, bodies))
        return _APPLIED
    method_id = action.method_id
    if method_id is None:
        raise _ActionFailed(f"a {action.op.value} action without a method id")
    if action.op is plans.Op.PATCH:
        body = _body(action, context)
        assert isinstance(body, dict)
        await retrier.call(lambda: backend.update_method(user_id, method_id, body))
        return _APPLIED
    deleted = await retrier.delete(lambda: backend.delete_method(user_id, method_id))
    return _APPLIED if deleted else _GONE_ALREADY


async def _send(
    action: plans.Action, user_plan: plans.UserPlan, user_id: str, context: Context
) -> _Done:
    """One action, abandoned (`stopping.Abandoned`) if a hard stop comes while it is sent."""
    if context.stop is None:
        return await _run_action(action, user_plan, user_id, context)
    return await context.stop.unless_stopped(_run_action(action, user_plan, user_id, context))


def _not_sent(
    actions: Sequence[plans.Action], note: str | None = None
) -> list[reports.ActionOutcome]:
    return [_outcome(action, reports.ActionStatus.SKIPPED, note) for action in actions]


async def apply_user(user_plan: plans.UserPlan, context: Context) -> reports.UserOutcome:
    """Run one user's actions in order; the first final failure skips the rest.

    A stop request is honoured between actions: the action being sent is finished (or, on a
    hard stop, abandoned with an unknown outcome) and the rest are not sent.
    """
    if user_plan.error is not None:
        return _unplanned(user_plan)
    user_id = user_plan.user_id
    if user_id is None:
        return reports.UserOutcome(
            user_plan.key, None, reports.UserStatus.FAILED, "the plan has no user id"
        )
    done: list[reports.ActionOutcome] = []
    for index, action in enumerate(user_plan.actions):
        rest = user_plan.actions[index + 1 :]
        if context.stop is not None and context.stop.requested:
            return _stopped(user_plan, user_id, done, user_plan.actions[index:])
        try:
            result = await _send(action, user_plan, user_id, context)
        except stopping.Abandoned:
            done.append(_outcome(action, reports.ActionStatus.UNKNOWN, ABANDONED_NOTE))
            return reports.UserOutcome(
                user_plan.key,
                user_id,
                reports.UserStatus.INTERRUPTED,
                "stopped at once while sending an action: its outcome is unknown; the next "
                "apply re-reads this user",
                tuple(done + _not_sent(rest, INTERRUPTED_NOTE)),
            )
        except (errors.MfasyncError, _ActionFailed) as exc:
            message = exc.message if isinstance(exc, _ActionFailed) else str(exc)
            done.append(_outcome(action, reports.ActionStatus.FAILED, message))
            done.extend(_not_sent(rest))
            return reports.UserOutcome(
                user_plan.key, user_id, reports.UserStatus.FAILED, message, tuple(done)
            )
        done.append(_outcome(action, result.status, result.note))
    return reports.UserOutcome(
        user_plan.key, user_id, reports.UserStatus.APPLIED, None, tuple(done)
    )


def _stopped(
    user_plan: plans.UserPlan,
    user_id: str,
    done: list[reports.ActionOutcome],
    left: Sequence[plans.Action],
) -> reports.UserOutcome:
    """The outcome of a user a gentle stop met before its next action."""
    if not done:
        return not_started(user_plan)
    return reports.UserOutcome(
        user_plan.key,
        user_id,
        reports.UserStatus.INTERRUPTED,
        f"the run was stopped after {len(done)} of its {len(user_plan.actions)} actions "
        "(make before break: it keeps its old factors beside any new one)",
        tuple(done + _not_sent(left, INTERRUPTED_NOTE)),
    )


def not_started(user_plan: plans.UserPlan) -> reports.UserOutcome:
    """The outcome of a user the run was stopped before: nothing was sent for it."""
    return reports.UserOutcome(
        user_plan.key,
        user_plan.user_id,
        reports.UserStatus.NOT_STARTED,
        NOT_STARTED_MESSAGE,
        tuple(_not_sent(user_plan.actions, INTERRUPTED_NOTE)),
    )


def _unplanned(user_plan: plans.UserPlan) -> reports.UserOutcome:
    """The outcome of a user that could not be planned: failed, with the planning error."""
    return reports.UserOutcome(
        user_plan.key, user_plan.user_id, reports.UserStatus.FAILED, user_plan.error
    )


def enforce_guards(plan: plans.Plan, safety: settings.SafetySettings, *, force: bool) -> None:
    """Refuse a plan a guard objects to (`errors.SafetyGuardError`), unless forced."""
    violations = plans.check_guards(plan, safety)
    if violations and not force:
        raise errors.SafetyGuardError(" ".join(violations))


async def apply_changed(
    user_plans: Sequence[plans.UserPlan],
    context: Context,
    *,
    concurrency: int,
    on_event: events.EventSink | None,
) -> list[reports.UserOutcome]:
    outcomes: list[reports.UserOutcome] = []

    def done(outcome: reports.UserOutcome, user_plan: plans.UserPlan) -> None:
        if user_plan.source is not None:  # an email-declared user: say which entry it is
            outcome = dataclasses.replace(outcome, source=user_plan.source)
        outcomes.append(outcome)
        events.emit(
            on_event,
            events.UserEvent(events.Phase.APPLY, outcome.key, outcome.status, outcome.message),
        )

    async def work(user_plan: plans.UserPlan) -> None:
        done(await apply_user(user_plan, context), user_plan)

    pending = iter(user_plans)
    stop = context.stop
    await pipeline.run_bounded(
        pending,
        work,
        concurrency=concurrency,
        stop_when=None if stop is None else lambda: stop.requested,
    )
    for user_plan in pending:  # what a stop left: the users no worker took
        left = _unplanned(user_plan) if user_plan.error is not None else not_started(user_plan)
        done(left, user_plan)
    return outcomes


def report(
    outcomes: Sequence[reports.UserOutcome],
    *,
    unchanged: int,
    context: Context,
    governor: governing.RateGovernor | None,
) -> reports.ApplyReport:
    return reports.ApplyReport(
        users=tuple(sorted(outcomes, key=lambda outcome: outcome.key)),
        unchanged=unchanged,
        dry_run=context.dry_run,
        requests=governor.requests if governor is not None else None,
        rate_limited=governor.rate_limited if governor is not None else None,
        interrupted=context.stop is not None and context.stop.requested,
    )


async def apply_plan(
    plan: plans.Plan,
    *,
    backend: backends.Backend,
    settings: settings.RunSettings,
    users: Sequence[models.DesiredUser] = (),
    policy: models.Policy | None = None,
    resolver: pipeline.UserResolver | None = None,
    force: bool = False,
    on_event: events.EventSink | None = None,
    governor: governing.RateGovernor | None = None,
    stop: stopping.StopSignal | None = None,
) -> reports.ApplyReport:
    """Apply a fresh plan. Users with a planning error are reported failed.

    `users`, `policy` and `resolver` (those the plan was made from) let an uncertain or
    conflicting create be settled by re-planning the user; without them such a user fails safely.
    `stop`: how the caller asks the run to stop (see `stopping`); the report then says which users
    were not started and which were stopped between actions.
    """
    enforce_guards(plan, settings.safety, force=force)
    context = Context(
        backend=backend,
        retrier=retrying.Retrier(settings.retry, governor=governor),
        desired={user.key: user for user in users},
        policy=policy or models.Policy(),
        resolver=resolver,
        stop=stop,
    )
    work = [user for user in plan.users if user.changed or user.error is not None]
    outcomes = await apply_changed(
        work, context, concurrency=settings.rate.concurrency, on_event=on_event
    )
    unchanged = sum(1 for user in plan.users if not user.changed and user.error is None)
    return report(outcomes, unchanged=unchanged, context=context, governor=governor)
