"""The safety guards of DESIGN.md section 2: what `apply` refuses without `--force`."""

from __future__ import annotations

from mfasync import settings
from mfasync.plans.displays import count, names
from mfasync.plans.plan import Plan


def check_guards(plan: Plan, safety: settings.SafetySettings) -> tuple[str, ...]:
    """The safety guards (DESIGN.md section 2) this plan violates, one message each."""
    violations: list[str] = []
    emptied = [
        user.key
        for user in plan.users
        if user.error is None
        and user.changed
        and user.live_count > 0
        and user.remaining_count == 0
        and not user.declared_empty
    ]
    if emptied:
        violations.append(
            f"safety guard 'no-user-left-without-methods': {count(len(emptied), 'user')} "
            f"would be left with no methods at all ({names(emptied)}); declare such a user "
            "with `methods: []` if that is intended, or use --force"
        )
    planned = [user for user in plan.users if user.error is None]
    deleting = [user.key for user in planned if user.deletes]
    if planned and len(planned) >= safety.min_users_for_ratio_guard:
        ratio = len(deleting) / len(planned)
        if ratio > safety.max_deleting_users_ratio:
            violations.append(
                f"safety guard 'max-deleting-users-ratio': {len(deleting)} of "
                f"{len(planned)} planned users ({ratio:.0%}) would lose methods, more than the "
                f"{safety.max_deleting_users_ratio:.0%} allowed ({names(deleting)}); "
                "use --force to apply anyway"
            )
    return tuple(violations)
