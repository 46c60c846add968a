"""The full replace (PUT): chosen only when it is safe and strictly cheaper (DESIGN.md section 2).

Never a PUT over a method PUT cannot recreate: every live method must be of a type PUT writes and
either go away anyway or be a matched phone/email whose value the manifest knows.
"""

from __future__ import annotations

from collections.abc import Sequence

from mfasync import models, plans
from mfasync.planning.actions import create_problem

REPLACE_TYPE = "all"
"""`Action.type` of a full replace: it writes every method of the user at once."""


def replace_action(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    *,
    matched: Sequence[models.LiveMethod | None],
    deleted: Sequence[models.LiveMethod],
    granular_count: int,
    allow: bool,
    reason: str | None = None,
) -> plans.Action | None:
    """One PUT instead of the granular actions, when it is safe and strictly cheaper."""
    if not allow or not desired.methods or granular_count <= 1:
        return None
    # a PUT overwrites every live method: each must be one PUT can write, and either going away
    # anyway or a matched phone/email whose value the manifest knows (a live TOTP's seed cannot
    # be read back, so a kept TOTP would be lost)
    if any(method.type not in models.PUT_WRITABLE_TYPES for method in live):
        return None
    deleted_ids = {method.id for method in deleted}
    kept_by_match = {
        live_method.id: method
        for method, live_method in zip(desired.methods, matched, strict=True)
        if live_method is not None and live_method.id not in deleted_ids
    }
    for live_method in live:
        if live_method.id in deleted_ids:
            continue
        keeper = kept_by_match.get(live_method.id)
        if keeper is None or keeper.type not in (models.MethodType.PHONE, models.MethodType.EMAIL):
            return None
    for wanted in desired.methods:
        if wanted.pinned or wanted.type.value not in models.PUT_WRITABLE_TYPES:
            return None
        if create_problem(wanted) is not None:
            return None
    live_of = {
        index: live_method
        for index, live_method in enumerate(matched)
        if live_method is not None and live_method.id not in deleted_ids
    }
    methods = tuple(
        _carried(method, live_of.get(index), ignore=desired.ignore)
        for index, method in enumerate(desired.methods)
    )
    display = ", ".join(
        " ".join(
            part
            for part in (
                "+",
                method.type.value,
                f'"{method.name}"' if method.name is not None else "",
                plans.desired_display(method),
            )
            if part
        )
        for method in methods
    )
    return plans.Action(
        op=plans.Op.REPLACE,
        type=REPLACE_TYPE,
        methods=methods,
        replaced=tuple(live),
        display=display,
        reason=reason,
    )


def _carried(
    method: models.DesiredMethod,
    live: models.LiveMethod | None,
    *,
    ignore: frozenset[models.IgnorableField],
) -> models.DesiredMethod:
    """The method as the PUT writes it: a kept method keeps what the manifest does not decide."""
    if live is None:
        return method
    update: dict[str, object] = {}
    if method.name is None or models.IgnorableField.NAME in ignore:
        update["name"] = live.name
    preferred_field = models.IgnorableField.PREFERRED_AUTHENTICATION_METHOD
    if method.type is models.MethodType.PHONE and (
        method.preferred_authentication_method is None or preferred_field in ignore
    ):
        live_value = live.preferred_authentication_method
        known = {item.value for item in models.PreferredMethod}
        update[preferred_field.value] = (
            models.PreferredMethod(live_value) if live_value in known else None
        )
    return method.model_copy(update=update) if update else method
