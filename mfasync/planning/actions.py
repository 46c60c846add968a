"""The actions of one user's plan, built from matched pairs: patch, create, delete.

Field changes (`name`, `preferred_authentication_method`) are computed with deepdiff, its only
home. Pure: no I/O, and nothing here reads a secret value except to decide whether it is known.
"""

from __future__ import annotations

from deepdiff import DeepDiff

from mfasync import models, plans

_DEFAULT_PREFERRED = models.PreferredMethod.SMS.value  # what the API does when none is reported

VALUE_CHANGED = plans.REASON_VALUE_CHANGED
GONE = plans.REASON_GONE


def patch(
    method: models.DesiredMethod,
    live: models.LiveMethod,
    *,
    ignore: frozenset[models.IgnorableField],
) -> plans.Action | None:
    """A PATCH of `name` / `preferred_authentication_method` when they differ, else None."""
    wanted, current = compared_fields(method, live, ignore=ignore)
    if current == wanted:
        # The common case (an in-sync method) needs no diff at all; DeepDiff costs about as much
        # CPU as the request that read the method, which halved a large plan's reads per second.
        return None
    diff = DeepDiff(current, wanted, view="tree")
    fields = sorted(
        {
            str(item.path(output_format="list")[0])
            for kind in ("values_changed", "type_changes")
            for item in diff.get(kind, ())
        }
    )
    if not fields:
        return None
    changes = tuple(
        plans.FieldChange(field=field, old=_live_field(live, field), new=wanted[field])
        for field in fields
    )
    name_after = wanted.get("name", live.name)
    return plans.Action(
        op=plans.Op.PATCH,
        type=live.type,
        name=name_after,
        method_id=live.id,
        changes=changes,
        display=plans.live_display(live),
    )


def compared_fields(
    method: models.DesiredMethod,
    live: models.LiveMethod,
    *,
    ignore: frozenset[models.IgnorableField],
) -> tuple[dict[str, str], dict[str, str | None]]:
    """The patchable fields the manifest decides: (wanted, current). Equal: nothing to patch."""
    wanted: dict[str, str] = {}
    current: dict[str, str | None] = {}
    if method.name is not None and models.IgnorableField.NAME not in ignore:
        wanted["name"] = method.name
        current["name"] = live.name
    preferred_field = models.IgnorableField.PREFERRED_AUTHENTICATION_METHOD
    if (
        method.type is models.MethodType.PHONE
        and method.preferred_authentication_method is not None
        and preferred_field not in ignore
    ):
        wanted[preferred_field.value] = method.preferred_authentication_method.value
        # the API's default when a listing leaves it out: not a difference worth a request
        current[preferred_field.value] = live.preferred_authentication_method or _DEFAULT_PREFERRED
    return wanted, current


def _live_field(live: models.LiveMethod, field: str) -> str | None:
    if field == "name":
        return live.name
    return live.preferred_authentication_method


def create(method: models.DesiredMethod, *, reason: str | None = None) -> plans.Action:
    """POST `method`."""
    return plans.Action(
        op=plans.Op.CREATE,
        type=method.type.value,
        name=method.name,
        method=method,
        display=plans.desired_display(method),
        reason=reason,
    )


def delete(live: models.LiveMethod, *, reason: str | None = None) -> plans.Action:
    """DELETE the live method."""
    return plans.Action(
        op=plans.Op.DELETE,
        type=live.type,
        name=live.name,
        method_id=live.id,
        display=plans.live_display(live),
        reason=reason,
    )


def create_problem(method: models.DesiredMethod) -> str | None:
    """Why `method` cannot be created (an unresolved secret, a missing value), or None."""
    kind = method.type
    if kind is models.MethodType.TOTP:
        return plans.secret_problem(method)
    required = {
        models.MethodType.PHONE: ("phone_number",),
        models.MethodType.EMAIL: ("email",),
        models.MethodType.WEBAUTHN_ROAMING: ("key_id", "public_key", "relying_party_identifier"),
    }[kind]
    missing = [field for field in required if getattr(method, field) is None]
    if not missing:
        return None
    label = f'{kind.value} "{method.name}"' if method.name is not None else kind.value
    return f"{label} cannot be created: no {', '.join(missing)}"
