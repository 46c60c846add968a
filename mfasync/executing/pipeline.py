"""The read side of every run: users flow, a few at a time, to workers that read and plan them.

`run_bounded` is the one fan-out of the executor: `concurrency` workers (an asyncio.TaskGroup)
take users one at a time from one shared iterator, so memory in flight is bounded by the
concurrency, not by the number of users. `plan_users` uses it to read and plan every user: resolve
an `email:` user to exactly one user id, list the live methods (every page), resolve secrets, and
call the pure planner. A failure of one user (404, a malformed answer, an unresolvable reference)
becomes that user's error plan; the others go on. Nothing here writes or prints.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol, TypeVar, cast

from mfasync import errors, masking, models, planning, plans, settings
from mfasync.executing import backends, events, recording, retrying
from mfasync.executing import governor as governing

T = TypeVar("T")
_END = object()  # the end of `run_bounded`'s items


class UserResolver(Protocol):
    """Fills in a user's secrets (`secretrefs.Resolver` is one).

    `read_and_plan` asks only for a user whose plan changes something (or fails) and who has a
    reference not resolved yet: an in-sync user's seeds are never read.
    """

    def resolve_user(self, user: models.DesiredUser) -> models.DesiredUser: ...


async def run_bounded(
    items: Iterable[T],
    work: Callable[[T], Awaitable[None]],
    *,
    concurrency: int,
    stop_when: Callable[[], bool] | None = None,
) -> None:
    """Run `work` on every item with at most `concurrency` in flight, items read lazily.

    `stop_when`: asked before each item is taken; once it says True no worker takes another, and
    the items left stay unread in `items` (pass an iterator to find out which).
    """
    iterator = iter(items)

    async def consume() -> None:
        # The workers share one iterator: a worker takes the next item only when it is free, so
        # at most `concurrency` items are in flight and the rest are not read yet. (A queue fed by
        # a producer task did the same with two task switches per item, a measurable share of a
        # large plan's CPU.) `next()` never awaits, so two workers never run it at once.
        if stop_when is None:
            for item in iterator:
                await work(item)
            return
        while not stop_when():
            taken = next(iterator, _END)
            if taken is _END:
                return
            await work(cast(T, taken))

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, concurrency)):
                group.create_task(consume())
    except BaseExceptionGroup as failure:
        # Only a run-wide failure escapes `work` (per-user errors become error plans); callers
        # expect it as itself, not wrapped in a group.
        raise failure.exceptions[0] from None


async def resolve_user_id(
    user: models.DesiredUser,
    *,
    backend: backends.ReadBackend,
    retrier: retrying.Retrier,
    several_hint: str = "declare this one by user_id",
) -> str:
    """The user's id: as declared, or the one user the email belongs to.

    `several_hint` ends the error of an address several users have (`export` asks to export by
    user_id instead).
    """
    if user.user_id is not None:
        return user.user_id
    email = user.email or ""
    # The lookup is case-sensitive and Auth0 stores its database users' addresses in lower
    # case: ask for that first, and for the address as written only if that finds nobody
    # (a social or enterprise user may keep the case its provider gave).
    lowered = email.lower()
    found = await retrier.call(lambda: backend.find_users_by_email(lowered))
    if not found and lowered != email:
        found = await retrier.call(lambda: backend.find_users_by_email(email))
    shown = masking.redact_email(email)
    if not found:
        raise errors.NotFoundError(f"no user has the email address {shown}")
    if len(found) > 1:
        raise errors.BadRequestError(
            f"{len(found)} users have the email address {shown}; {several_hint}"
        )
    return found[0]


async def resolve_emails(
    users: Iterable[models.DesiredUser],
    *,
    backend: backends.ReadBackend,
    retrier: retrying.Retrier,
    concurrency: int,
) -> dict[str, str]:
    """The user id each `email:` user of `users` resolves to now, by key, `concurrency` at a
    time; an address that finds no one, or several, is left out."""
    resolved: dict[str, str] = {}

    async def resolve(user: models.DesiredUser) -> None:
        try:
            resolved[user.key] = await resolve_user_id(user, backend=backend, retrier=retrier)
        except errors.FinalApiError:
            return

    by_email = (user for user in users if user.user_id is None)
    await run_bounded(by_email, resolve, concurrency=concurrency)
    return resolved


async def read_and_plan(
    user: models.DesiredUser,
    *,
    backend: backends.ReadBackend,
    retrier: retrying.Retrier,
    policy: models.Policy,
    resolver: UserResolver,
    fingerprint: bool = False,
    recorder: recording.StateRecorder | None = None,
) -> tuple[plans.UserPlan, tuple[models.LiveMethod, ...] | None]:
    """Plan one user; an error of this user becomes its error plan (live is then None).

    `fingerprint`: compute the plan's `live_fingerprint` (see `planning.plan_user`); only a saved
    plan and its check need it. `recorder`: plan with the state's records of the user, and record
    what the listing showed.
    """
    user_plan, live = await _read_and_plan(
        user,
        backend=backend,
        retrier=retrier,
        policy=policy,
        resolver=resolver,
        fingerprint=fingerprint,
        recorder=recorder,
    )
    source = plans.declared_at(user)
    if source is not None:  # a masked address alone cannot tell two users apart
        user_plan = dataclasses.replace(user_plan, source=source)
    return user_plan, live


async def _read_and_plan(
    user: models.DesiredUser,
    *,
    backend: backends.ReadBackend,
    retrier: retrying.Retrier,
    policy: models.Policy,
    resolver: UserResolver,
    fingerprint: bool,
    recorder: recording.StateRecorder | None,
) -> tuple[plans.UserPlan, tuple[models.LiveMethod, ...] | None]:
    user_id: str | None = user.user_id
    try:
        user_id = await resolve_user_id(user, backend=backend, retrier=retrier)
        resolved_id = user_id
        live = await retrier.call(lambda: backend.list_methods(resolved_id))
        if recorder is None:
            user_plan = planning.plan_user(
                user, live, policy, user_id=user_id, fingerprint=fingerprint
            )
            if (user_plan.changed or user_plan.error is not None) and _has_unresolved_secret(user):
                # Seeds are looked up only when the plan may need one (a create or a replace
                # writes it; matching never reads it): an in-sync user, the common case of a large
                # run, costs no look-up and no copy. The re-plan is the plan of the resolved user.
                user_plan = planning.plan_user(
                    resolver.resolve_user(user),
                    live,
                    policy,
                    user_id=user_id,
                    fingerprint=fingerprint,
                )
            return user_plan, live
        if _has_unresolved_secret(user):
            # with a state, a seed's fingerprint is compared with its record (a rotated seed is a
            # changed value) and goes into the user's desired fingerprint: resolve it first
            user = resolver.resolve_user(user)
        user_plan = planning.plan_user(
            user,
            live,
            policy,
            user_id=user_id,
            fingerprint=fingerprint,
            known=recorder.knowledge(user, user_id),
        )
        await recorder.observed(user, user_id, live, user_plan)
        if user_plan.adoptions:
            # recorded: a large first run would otherwise hold 100,000 fingerprints to its end
            user_plan = dataclasses.replace(user_plan, adoptions=())
        return user_plan, live
    except (
        errors.AuthenticationError,
        errors.NetworkError,
        errors.PortalError,
        errors.UnreachableError,
    ):
        # Credentials that fail, an untrusted certificate, a refusing proxy or a tenant that no
        # request has reached fail for every user: stop the run with one clear error rather
        # than report the same refusal once per user.
        raise
    except errors.MfasyncError as exc:
        return plans.error_plan(user.key, str(exc), user_id=user_id), None


def _has_unresolved_secret(user: models.DesiredUser) -> bool:
    return any(
        method.totp_secret is not None and method.totp_secret.value is None
        for method in user.methods
    )


def plan_status(user_plan: plans.UserPlan) -> str:
    if user_plan.error is not None:
        return "error"
    return "changed" if user_plan.changed else "unchanged"


async def plan_users(
    users: Sequence[models.DesiredUser],
    *,
    backend: backends.ReadBackend,
    policy: models.Policy,
    settings: settings.RunSettings,
    resolver: UserResolver,
    on_event: events.EventSink | None = None,
    governor: governing.RateGovernor | None = None,
    fingerprints: bool = False,
    recorder: recording.StateRecorder | None = None,
) -> plans.Plan:
    """Read and plan every user, `settings.rate.concurrency` at a time. Never writes.

    `fingerprints=True` fills each user plan's `live_fingerprint`: needed for a plan that will be
    saved (`plans.write_plan_file` refuses one without), by nothing else.
    """
    retrier = retrying.Retrier(settings.retry, governor=governor)
    results: list[plans.UserPlan] = []

    async def work(user: models.DesiredUser) -> None:
        user_plan, _ = await read_and_plan(
            user,
            backend=backend,
            retrier=retrier,
            policy=policy,
            resolver=resolver,
            fingerprint=fingerprints,
            recorder=recorder,
        )
        results.append(user_plan)
        if on_event is not None:
            on_event(
                events.UserEvent(
                    events.Phase.PLAN, user_plan.key, plan_status(user_plan), user_plan.error
                )
            )

    await run_bounded(users, work, concurrency=settings.rate.concurrency)
    if recorder is not None:
        await recorder.flush()
    # the Plan sorts its users by key
    return plans.Plan(users=_one_entry_per_user(results, users))


def _one_entry_per_user(
    results: list[plans.UserPlan], users: Sequence[models.DesiredUser]
) -> tuple[plans.UserPlan, ...]:
    """Two manifest entries (one by user_id, one by email) may name the same user: planning
    both would write the user twice, each undoing the other. Both become errors instead, each
    naming the other's manifest `file:line`."""
    keys_by_id: dict[str, list[str]] = {}
    for user_plan in results:
        if user_plan.user_id is not None:
            keys_by_id.setdefault(user_plan.user_id, []).append(user_plan.key)
    shared = {user_id for user_id, keys in keys_by_id.items() if len(keys) > 1}
    if not shared:
        return tuple(results)
    places = {user.key: plans.place(user.source) for user in users}
    out = []
    for user_plan in results:
        if user_plan.user_id not in shared:
            out.append(user_plan)
            continue
        others = sorted(key for key in keys_by_id[user_plan.user_id] if key != user_plan.key)
        shown = ", ".join(plans.heading(key, source=places.get(key)) for key in others)
        error = plans.error_plan(
            user_plan.key,
            f"the same user as {shown} in the manifests; declare each user once",
            user_id=user_plan.user_id,
        )
        out.append(dataclasses.replace(error, source=places.get(user_plan.key)))
    return tuple(out)
