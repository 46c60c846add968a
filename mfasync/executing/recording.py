"""The executor's side of the state: what planning reads from it, and what reads and writes record.

- `StateRecorder` gives the planner each user's records and desired fingerprints
  (`records.Knowledge`) and records what each listing showed (adopted and seen methods, the user's
  desired fingerprint, whether it was in sync). A dry run gets no recorder: it records nothing.
- `JournaledBackend` wraps the real backend for `apply`: every write is journaled in the state
  BEFORE it is sent (an intent), and its outcome after, with the records it changes (a create's new
  id and the fingerprint of the value sent, a delete, the ids a PUT answered). If the state cannot
  be written, no further write is sent: the run stops after the requests already in flight, and
  `failure` says why.

Nothing here plans or prints; the values it fingerprints stay in memory.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Mapping, Sequence

from mfasync import errors, models, plans, records, state
from mfasync.executing import backends

Clock = Callable[[], datetime.datetime]


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class StateRecorder:
    """Records in, knowledge out, for the planning pipeline (one per run)."""

    def __init__(
        self, store: state.Store, *, clock: Clock = utc_now, read_only: bool = False
    ) -> None:
        self._store = store
        self._clock = clock
        self._read_only = read_only  # a dry run: plan with the records, record nothing
        # uncertain creates (answer lost) per user: (type, fingerprint of what was sent)
        self._uncertain: dict[str, list[tuple[str, str | None]]] = {}

    @property
    def fingerprinter(self) -> plans.Fingerprinter:
        return self._store.fingerprinter

    def knowledge(self, user: models.DesiredUser, user_id: str) -> records.Knowledge:
        fingerprinter = self._store.fingerprinter
        return records.Knowledge(
            records=self._store.records_of(user_id),
            fingerprints=tuple(fingerprinter.method(method) for method in user.methods),
        )

    async def observed(
        self,
        user: models.DesiredUser,
        user_id: str,
        live: Sequence[models.LiveMethod],
        user_plan: plans.UserPlan,
    ) -> None:
        """Record what a listing of `user_id` showed and how it planned."""
        if self._read_only:
            return
        await self._store.observe(
            state.observation(
                user_id,
                live,
                adoptions=user_plan.adoptions,
                desired_fingerprint=self._store.fingerprinter.desired_user(user),
                in_sync=user_plan.error is None and not user_plan.changed,
                at=self._clock(),
            )
        )

    async def flush(self) -> None:
        """Write what the listings showed that is still buffered."""
        if not self._read_only:
            await self._store.flush()

    def uncertain_create(self, user_id: str, kind: str, fingerprint: str | None) -> None:
        """A create whose answer was lost: the next listing that shows it settles it."""
        self._uncertain.setdefault(user_id, []).append((kind, fingerprint))

    async def listed(self, user_id: str, live: Sequence[models.LiveMethod]) -> None:
        """Settle uncertain creates of `user_id` from a re-listing: a new method of the type that
        no record claims is the one that was sent (the executor re-lists exactly to find it)."""
        pending = self._uncertain.get(user_id)
        if not pending:
            return
        known = self._store.records_of(user_id)
        created: list[tuple[str, str, str | None]] = []
        for kind, fingerprint in list(pending):
            candidates = [
                method
                for method in live
                if method.type == kind
                and method.id not in known
                and method.id not in {c[0] for c in created}
            ]
            if len(candidates) == 1:
                created.append((candidates[0].id, kind, fingerprint))
                pending.remove((kind, fingerprint))
        if created:
            await self._store.record_settled(
                user_id, state.Written(created=tuple(created)), at=self._clock()
            )


class JournaledBackend:
    """A `Backend` that journals each write before sending it through `inner`."""

    redacts_bodies = False

    def __init__(
        self,
        inner: backends.Backend,
        *,
        store: state.Store,
        run_id: int,
        recorder: StateRecorder,
        clock: Clock = utc_now,
    ) -> None:
        self._inner = inner
        self._store = store
        self._run_id = run_id
        self._recorder = recorder
        self._clock = clock
        self.failure: errors.StateError | None = None

    # -- reads pass through (a re-listing may settle an uncertain create) -------------------------

    async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]:
        live = await self._inner.list_methods(user_id)
        await self._guarded(self._recorder.listed(user_id, live))
        return live

    async def find_users_by_email(self, email: str) -> tuple[str, ...]:
        return await self._inner.find_users_by_email(email)

    # -- writes: journal first ------------------------------------------------------------------

    async def create_method(self, user_id: str, body: Mapping[str, object]) -> models.LiveMethod:
        kind = str(body.get("type", ""))
        fingerprint = self._store.fingerprinter.body(body)
        entry = await self._intend(user_id, "create", kind, None)
        try:
            created = await self._inner.create_method(user_id, body)
        except errors.ApiError as exc:
            if _uncertain(exc):
                self._recorder.uncertain_create(user_id, kind, fingerprint)
            await self._settle_failure(entry, user_id, exc)
            raise
        await self._settle(
            entry,
            user_id,
            status=201,
            written=state.Written(created=((created.id, created.type, fingerprint),)),
        )
        return created

    async def replace_methods(
        self, user_id: str, bodies: Sequence[Mapping[str, object]]
    ) -> tuple[models.LiveMethod, ...]:
        entry = await self._intend(user_id, "replace", None, None)
        try:
            answered = await self._inner.replace_methods(user_id, bodies)
        except errors.ApiError as exc:
            await self._settle_failure(entry, user_id, exc)
            raise
        # A write abandoned by a hard stop (asyncio.CancelledError) keeps its intent unanswered:
        # the run ends `stopped`, and the next apply re-reads the user first, as after a crash.
        fingerprints = _pair_fingerprints(answered, bodies, self._store.fingerprinter)
        created = tuple(
            (method.id, method.type, fingerprint)
            for method, fingerprint in zip(answered, fingerprints, strict=True)
        )
        await self._settle(
            entry, user_id, status=200, written=state.Written(created=created, replaced=True)
        )
        return answered

    async def update_method(
        self, user_id: str, method_id: str, body: Mapping[str, object]
    ) -> models.LiveMethod:
        entry = await self._intend(user_id, "patch", method_id.split("|", 1)[0], method_id)
        try:
            updated = await self._inner.update_method(user_id, method_id, body)
        except errors.ApiError as exc:
            await self._settle_failure(entry, user_id, exc)
            raise
        await self._settle(entry, user_id, status=200)
        return updated

    async def delete_method(self, user_id: str, method_id: str) -> None:
        entry = await self._intend(user_id, "delete", method_id.split("|", 1)[0], method_id)
        try:
            await self._inner.delete_method(user_id, method_id)
        except errors.NotFoundError as exc:
            # already gone: the record goes too (the tenant wins)
            await self._settle(
                entry, user_id, status=404, written=state.Written(deleted=(method_id,)), exc=exc
            )
            raise
        except errors.ApiError as exc:
            await self._settle_failure(entry, user_id, exc)
            raise
        await self._settle(entry, user_id, status=204, written=state.Written(deleted=(method_id,)))

    # -- plumbing ------------------------------------------------------------------------------

    async def _intend(
        self, user_id: str, op: str, method_type: str | None, method_id: str | None
    ) -> int:
        if self.failure is not None:
            raise self.failure  # the state cannot be written: never write to the tenant unjournaled
        try:
            return await self._store.intend(
                self._run_id,
                user_id=user_id,
                op=op,
                method_type=method_type,
                method_id=method_id,
                at=self._clock(),
            )
        except errors.StateError as exc:
            self.failure = exc
            raise

    async def _settle(
        self,
        entry: int,
        user_id: str,
        *,
        status: int,
        written: state.Written | None = None,
        exc: errors.ApiError | None = None,
    ) -> None:
        outcome = records.WriteOutcome.OK if exc is None else records.WriteOutcome.FAILED
        await self._guarded(
            self._store.settle(
                entry,
                user_id=user_id,
                outcome=outcome,
                status=status,
                at=self._clock(),
                written=written,
            )
        )

    async def _settle_failure(self, entry: int, user_id: str, exc: errors.ApiError) -> None:
        outcome = records.WriteOutcome.UNKNOWN if _uncertain(exc) else records.WriteOutcome.FAILED
        await self._guarded(
            self._store.settle(
                entry, user_id=user_id, outcome=outcome, status=exc.status, at=self._clock()
            )
        )

    async def _guarded(self, operation: Awaitable[None]) -> None:
        """Await a state write; a failure stops further writes (the in-flight ones finish)."""
        try:
            await operation
        except errors.StateError as exc:
            if self.failure is None:
                self.failure = exc


def _uncertain(exc: errors.ApiError) -> bool:
    """The request may have been committed: its answer was lost."""
    return isinstance(exc, errors.AmbiguousWriteError | errors.TransportError | errors.ServerError)


def _pair_fingerprints(
    answered: Sequence[models.LiveMethod],
    bodies: Sequence[Mapping[str, object]],
    fingerprinter: plans.Fingerprinter,
) -> list[str | None]:
    """The fingerprint of the body each method of a PUT's answer came from: by type, in order."""
    by_type: dict[str, list[str | None]] = {}
    for body in bodies:
        by_type.setdefault(str(body.get("type", "")), []).append(fingerprinter.body(body))
    paired: list[str | None] = []
    for method in answered:
        waiting = by_type.get(method.type)
        paired.append(waiting.pop(0) if waiting else None)
    return paired
