"""The plan: one `UserPlan` per user (its actions and what guards and saved plans need), the
sorted `Plan` and its `Summary` counts. Plain frozen values, built by the planner.
"""

from __future__ import annotations

import dataclasses

from mfasync import models
from mfasync.plans import fingerprints
from mfasync.plans.actions import Action, Op


@dataclasses.dataclass(frozen=True, slots=True)
class UserPlan:
    """The actions for one user, with what the guards and a saved plan need to know."""

    key: str
    user_id: str | None = None
    error: str | None = None
    actions: tuple[Action, ...] = ()
    live_fingerprint: str | None = None
    live_count: int = 0
    remaining_count: int = 0
    unmanaged: tuple[models.LiveMethod, ...] = ()
    declared_empty: bool = False
    # prune: owned keeps undeclared managed methods the state does not say mfasync owns
    outside: tuple[models.LiveMethod, ...] = ()
    # with a state: live methods matched to a declared method that no record covers yet, with the
    # declared value's fingerprint, so the state can record them as adopted
    adoptions: tuple[tuple[str, str], ...] = ()
    # `file:line` of the manifest entry of a user declared by `email:` (`displays.declared_at`)
    source: str | None = None

    @property
    def deletes(self) -> bool:
        """Whether the user loses a live method: a delete, or a PUT that overwrites live methods.

        A PUT that re-creates a matched phone or email still destroys the live method (new id), so
        it counts: the ratio guard would rather over-count than miss a mass deletion.
        """
        return any(
            action.op is Op.DELETE or (action.op is Op.REPLACE and action.replaced)
            for action in self.actions
        )

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    def action_digest(self, fingerprinter: fingerprints.Fingerprinter = fingerprints.NO_KEY) -> str:
        """A digest of the actions for saved-plan checks, with keyed value fingerprints if any."""
        return fingerprints.action_digest(
            self.actions, user_key=self.key, fingerprinter=fingerprinter
        )


def error_plan(key: str, message: str, *, user_id: str | None = None) -> UserPlan:
    """A user that cannot be planned: no actions, the reason in `error`."""
    return UserPlan(key=key, user_id=user_id, error=message)


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    """Counts over a plan. The methods a replace carries count as creates; the replace once."""

    users: int
    users_with_changes: int
    create: int
    patch: int
    delete: int
    replace: int
    errors: int

    @property
    def unchanged(self) -> int:
        return self.users - self.users_with_changes - self.errors

    def as_dict(self) -> dict[str, int]:
        return {
            "users": self.users,
            "users_with_changes": self.users_with_changes,
            "create": self.create,
            "patch": self.patch,
            "delete": self.delete,
            "replace": self.replace,
            "errors": self.errors,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """Every planned user, sorted by key (the order is part of the byte-identical output)."""

    users: tuple[UserPlan, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.users, key=lambda user: user.key))
        object.__setattr__(self, "users", ordered)  # frozen: the sort is part of construction

    @property
    def summary(self) -> Summary:
        actions = [action for user in self.users for action in user.actions]
        return Summary(
            users=len(self.users),
            users_with_changes=sum(1 for user in self.users if user.changed),
            create=sum(
                1 if a.op is Op.CREATE else len(a.methods) if a.op is Op.REPLACE else 0
                for a in actions
            ),
            patch=sum(1 for a in actions if a.op is Op.PATCH),
            delete=sum(1 for a in actions if a.op is Op.DELETE),
            replace=sum(1 for a in actions if a.op is Op.REPLACE),
            errors=sum(1 for user in self.users if user.error is not None),
        )

    @property
    def changed(self) -> bool:
        return any(user.changed for user in self.users)
