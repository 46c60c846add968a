"""Endpoint groups, and the bucket models of one group: how the governor tells buckets apart.

A real tenant has a tenant-wide bucket plus per-endpoint buckets (users-by-email, the
authentication-methods writes...), and each answer carries the `x-ratelimit-*` headers of
whichever bucket is nearest exhaustion, so consecutive answers may describe different buckets.
One `bucket.BucketModel` fed by both would see its `remaining` jump back and forth and measure
nonsense. So the governor keeps, per endpoint group (`group_of`), one model per bucket, a bucket
being known by its `x-ratelimit-limit`:

- every request of the group counts as in flight, then consumed, in every model of the group
  (each of its buckets charged it); other groups' use of a shared bucket shows up as a lower
  measured refill rate, as other clients of the tenant do;
- an answer anchors the model of the bucket it describes; the group's other models learn only a
  floor (that bucket had at least as many tokens left), which keeps a stale low anchor from
  holding requests back;
- a request waits for the slowest of the group's models.

Pure: no I/O, no asyncio, every method takes `now`. Two buckets of the same size in one group
cannot be told apart; they are then modelled as one, which a 429 corrects.
"""

from __future__ import annotations

from mfasync import models
from mfasync.executing import bucket

USERS_BY_EMAIL = "users-by-email"
METHODS_READ = "authentication-methods-read"
METHODS_WRITE = "authentication-methods-write"
LOGS = "logs"
OTHER = "other"

#: Estimated tokens from which a request needs no decision: far above what `delay_s` asks for
#: (1 + a margin), so a tenant with a large bucket (or the emulator's default) costs no pacing.
AMPLE_TOKENS = 16.0


def group_of(method: str, path: str) -> str:
    """The endpoint group of an API request; `path` is relative to `/api/v2`."""
    if path.startswith("/users-by-email"):
        return USERS_BY_EMAIL
    if "/authentication-methods" in path:
        return METHODS_READ if method in ("GET", "HEAD") else METHODS_WRITE
    if path.startswith("/logs"):
        return LOGS
    return OTHER


class GroupModels:
    """The bucket models of one endpoint group, keyed by bucket size. Not thread-safe."""

    def __init__(self, *, max_rps: float) -> None:
        self._max_rps = max_rps
        # The first model serves until headers name a bucket; it then becomes that bucket's.
        self._first = bucket.BucketModel(max_rps=max_rps)
        self._first_limit: int | None = None
        self._others: dict[int, bucket.BucketModel] = {}
        self._last: bucket.BucketModel = self._first
        self._models: tuple[bucket.BucketModel, ...] = (self._first,)  # first, then others

    def _all(self) -> tuple[bucket.BucketModel, ...]:
        return self._models

    def _model_for(self, limit: int | None) -> bucket.BucketModel:
        if limit is None or limit == self._first_limit:
            return self._first
        if self._first_limit is None:
            self._first_limit = limit
            return self._first
        model = self._others.get(limit)
        if model is None:
            model = self._others[limit] = bucket.BucketModel(max_rps=self._max_rps)
            model.adopt_in_flight(self._first)
            self._models = (self._first, *self._others.values())
        return model

    @property
    def buckets(self) -> int:
        """Buckets told apart so far (1 until a second bucket's headers come back)."""
        return 1 + len(self._others)

    def on_send(self, now: float) -> None:
        for model in self._all():
            model.on_send(now)

    def on_lost(self, now: float) -> None:
        for model in self._all():
            model.on_lost(now)

    def on_response(self, now: float, *, status: int, rate_limit: models.RateLimit) -> None:
        target = self._model_for(rate_limit.limit)
        self._last = target
        if len(self._models) == 1:  # one bucket known (the usual case): nothing else to tell
            target.on_response(now, status=status, rate_limit=rate_limit)
            return
        floor = None if status == 429 else rate_limit.remaining
        for model in self._all():
            if model is target:
                model.on_response(now, status=status, rate_limit=rate_limit)
            else:
                model.on_answer_of_another_bucket(now, status=status, floor_remaining=floor)

    def delay_s(self, now: float) -> float:
        """Seconds to wait before the group's next request: the slowest bucket decides."""
        if len(self._models) == 1:
            return self._first.delay_s(now)
        return max(model.delay_s(now) for model in self._models)

    def ample(self, now: float) -> bool:
        """Every bucket of the group has at least `AMPLE_TOKENS` to spare for new requests: a
        request may go without the decision loop (what it would decide is "send now")."""
        for model in self._models:
            tokens = model.tokens(now)
            if tokens is None or tokens < AMPLE_TOKENS:
                return False
        return True

    @property
    def quiet(self) -> bool:
        return not self._others and self._first.quiet

    @property
    def in_flight(self) -> int:
        return self._first.in_flight

    @property
    def measured_refill_per_s(self) -> float | None:
        """The measured rate of the bucket the latest answer described, when measured."""
        return self._last.refill_per_s if self._last.measured else None
