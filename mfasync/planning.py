"""The pure planner: `plan_user(desired, live, policy) -> plans.UserPlan` (DESIGN.md section 2).

Reads mask values, so nothing here compares a desired value with a live one by equality: phones and
emails match by mask compatibility (`masking`), TOTPs by name then by elimination (their seed is
unreadable), WebAuthn keys by key_id, pinned methods by id. Field changes are computed with deepdiff
(this is its only home).

Pure and deterministic: no I/O, no clock, no asyncio, no randomness; the same input gives a
byte-identical plan. Unmanaged and unknown live types are never touched, and nothing here may read
a secret value except to decide whether it is known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from deepdiff import DeepDiff

from mfasync import masking, models, plans

REPLACE_TYPE = "all"
"""`Action.type` of a full replace: it writes every method of the user at once."""

_DEFAULT_PREFERRED = models.PreferredMethod.SMS.value  # what the API does when none is reported

Compatible = Callable[[models.DesiredMethod, models.LiveMethod], bool]


def plan_user(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    policy: models.Policy,
    *,
    user_id: str | None = None,
    fingerprint: bool = True,
) -> plans.UserPlan:
    """Plan one user: creates, then patches, then deletes (make before break), or a single PUT.

    `fingerprint=False` leaves `live_fingerprint` None: only a saved plan (`plan --out`) and its
    check (`apply --plan`) read it, and it is a sizeable share of an in-sync user's planning.
    """
    resolved_id = user_id if user_id is not None else desired.user_id
    if _in_sync(desired, live, policy, resolved_id):
        # The common case of a large run, decided without the matching machinery: the same plan
        # the general path below builds for it (no actions, nothing unmanaged, nothing removed).
        count = len(live)
        return plans.UserPlan(
            key=desired.key,
            user_id=resolved_id,
            live_fingerprint=plans.live_fingerprint(live) if fingerprint else None,
            live_count=count,
            remaining_count=count,
            declared_empty=desired.declared_empty,
        )
    # sorted so that the API's listing order cannot change the plan (one method: nothing to sort)
    live_sorted = (
        tuple(live) if len(live) <= 1 else tuple(sorted(live, key=lambda m: (m.type, m.id)))
    )
    base = _Base(
        key=desired.key,
        user_id=resolved_id,
        live_fingerprint=plans.live_fingerprint(live_sorted) if fingerprint else None,
        live_count=len(live_sorted),
        unmanaged=tuple(method for method in live_sorted if not method.managed),
        declared_empty=desired.declared_empty,
    )

    matched, pin_problems = _match(desired.methods, live_sorted)
    if pin_problems:
        return _as_error(base, "; ".join(pin_problems))

    reseed = _reseeds(desired, policy, resolved_id)
    creates: list[models.DesiredMethod] = []
    patches: list[plans.Action] = []
    reseeded: list[models.LiveMethod] = []
    for method, live_method in zip(desired.methods, matched, strict=True):
        if live_method is None:
            creates.append(method)
        elif reseed and method.type is models.MethodType.TOTP and not method.pinned:
            # a changed seed cannot be seen: re-seeding is asked for, so make new, then drop old
            creates.append(method)
            reseeded.append(live_method)
        else:
            patch = _patch(method, live_method, ignore=desired.ignore)
            if patch is not None:
                patches.append(patch)

    pruned: list[models.LiveMethod] = []
    if desired.prune is models.Prune.MANAGED:
        matched_ids = {method.id for method in matched if method is not None}
        pruned = [m for m in live_sorted if m.managed and m.id not in matched_ids]
    deleted = sorted([*reseeded, *pruned], key=lambda method: (method.type, method.id))

    problems = [problem for method in creates if (problem := _create_problem(method))]
    if problems:
        return _as_error(base, "; ".join(problems))

    granular = (
        *(_create(method) for method in creates),
        *patches,
        *(_delete(method) for method in deleted),
    )
    replace = _replace_action(
        desired,
        live_sorted,
        matched=matched,
        deleted=deleted,
        granular_count=len(granular),
        allow=policy.allow_replace,
    )
    if replace is not None:
        return _with_actions(base, (replace,), remaining=len(replace.methods))
    remaining = len(live_sorted) - len(deleted) + len(creates)
    return _with_actions(base, granular, remaining=remaining)


def _reseeds(desired: models.DesiredUser, policy: models.Policy, resolved_id: str | None) -> bool:
    return desired.key in policy.reseed_totp or (
        resolved_id is not None and resolved_id in policy.reseed_totp
    )


def _in_sync(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    policy: models.Policy,
    resolved_id: str | None,
) -> bool:
    """Whether the user is in sync in the simple way: `plan_user`'s shortcut.

    True only when the general path surely plans nothing: as many live methods as declared ones,
    at most one of each type on either side (so each declared method has exactly one candidate),
    no pin, each pair compatible (a lone TOTP pairs by elimination anyway) and not re-seeded, and
    no field to patch. Every live method is then matched and managed: nothing to delete or prune,
    nothing unmanaged, and no PUT (it needs at least two granular actions). False sends the user
    down the general path, which decides everything again.
    """
    methods = desired.methods
    count = len(methods)
    if count != len(live) or count == 0:
        return False
    pairs: list[tuple[models.DesiredMethod, models.LiveMethod]]
    if count == 1:
        pairs = [(methods[0], live[0])]
        if live[0].type != methods[0].type.value:
            return False
    else:
        by_type = {method.type: method for method in live}
        if len(by_type) != count or len({method.id for method in live}) != count:
            return False
        pairs = []
        for method in methods:
            found = by_type.pop(method.type.value, None)  # popped: two declared of a type fail
            if found is None:
                return False
            pairs.append((method, found))
    for method, live_method in pairs:
        if method.id is not None:
            return False
        kind = method.type
        if kind is models.MethodType.TOTP:
            if _reseeds(desired, policy, resolved_id):
                return False
        elif not _COMPATIBLE[kind](method, live_method):
            return False
        wanted, current = _compared_fields(method, live_method, ignore=desired.ignore)
        if current != wanted:
            return False
    return True


# -- matching -------------------------------------------------------------------------------------


def _match(
    desired: Sequence[models.DesiredMethod], live: Sequence[models.LiveMethod]
) -> tuple[tuple[models.LiveMethod | None, ...], list[str]]:
    """For each desired method, the live method it is (or None), and problems with pinned ids."""
    result: list[models.LiveMethod | None] = [None] * len(desired)
    taken: set[str] = set()
    problems: list[str] = []

    # Unpinned desired methods by kind, in declaration order, matched by value below.
    wanted_by_kind: dict[models.MethodType, list[int]] = {}
    by_id: dict[str, models.LiveMethod] | None = None
    for index, method in enumerate(desired):
        if method.id is None:
            wanted_by_kind.setdefault(method.type, []).append(index)
            continue
        if by_id is None:
            by_id = {live_method.id: live_method for live_method in live}
        found = by_id.get(method.id)
        if found is None:
            problems.append(
                f"pinned {method.type.value} method {method.id} no longer exists; it cannot be "
                "re-created without its value: declare the method by value, or remove the pin"
            )
        elif found.id in taken:
            problems.append(f"pinned method {method.id} is declared twice")
        else:
            result[index] = found
            taken.add(found.id)

    for kind, compatible in _KINDS:
        wanted = wanted_by_kind.get(kind)
        if not wanted:
            continue  # nothing of this kind to match (the usual case: one or two kinds per user)
        candidates = [
            m for m in live if m.type == kind.value and m.id not in taken and not m.sub_method
        ]
        if len(wanted) == 1:
            pairs = _match_one(desired[wanted[0]], candidates, compatible)
        else:
            pairs = _max_matching([desired[i] for i in wanted], candidates, compatible)
        if kind is models.MethodType.TOTP:
            pairs = _eliminate(pairs, wanted_count=len(wanted), live_count=len(candidates))
        for position, live_position in pairs.items():
            result[wanted[position]] = candidates[live_position]
            taken.add(candidates[live_position].id)
    return tuple(result), problems


def _max_matching(
    desired: Sequence[models.DesiredMethod],
    live: Sequence[models.LiveMethod],
    compatible: Compatible,
) -> dict[int, int]:
    """A maximum matching desired -> live (positions), preferring pairs with the same name.

    First only same-name pairs are matched, then every compatible pair may extend the matching
    (augmenting paths, so one early choice cannot leave a later method unmatched needlessly).
    Candidates are tried in a fixed order: the result is deterministic. One live method is never
    matched twice.
    """
    edges = [
        [j for j, live_method in enumerate(live) if compatible(method, live_method)]
        for method in desired
    ]
    same_name = [
        [j for j in row if _names_equal(desired[i], live[j])] for i, row in enumerate(edges)
    ]
    # same-name candidates first, then the rest, each in listing order
    preferred = [
        same + [j for j in row if j not in same] for same, row in zip(same_name, edges, strict=True)
    ]
    owner: dict[int, int] = {}  # live position -> desired position

    def augment(position: int, rows: list[list[int]], seen: set[int]) -> bool:
        for candidate in rows[position]:
            if candidate in seen:
                continue
            seen.add(candidate)
            if candidate not in owner or augment(owner[candidate], rows, seen):
                owner[candidate] = position
                return True
        return False

    for rows in (same_name, preferred):
        assigned = set(owner.values())
        for position in range(len(desired)):
            if position not in assigned:
                augment(position, rows, set())
    return {position: live_position for live_position, position in owner.items()}


def _match_one(
    method: models.DesiredMethod,
    live: Sequence[models.LiveMethod],
    compatible: Compatible,
) -> dict[int, int]:
    """`_max_matching` for one desired method (the usual case), without the graph.

    The same answer: the first compatible candidate with the same name, else the first compatible
    one, in listing order; an empty result when none is compatible.
    """
    first: int | None = None
    for position, live_method in enumerate(live):
        if compatible(method, live_method):
            if _names_equal(method, live_method):
                return {0: position}
            if first is None:
                first = position
    return {} if first is None else {0: first}


def _eliminate(pairs: dict[int, int], *, wanted_count: int, live_count: int) -> dict[int, int]:
    """TOTP by elimination: one unmatched desired and one unmatched live TOTP are the same one."""
    free_desired = [i for i in range(wanted_count) if i not in pairs]
    free_live = [j for j in range(live_count) if j not in pairs.values()]
    if len(free_desired) == 1 and len(free_live) == 1:
        return {**pairs, free_desired[0]: free_live[0]}
    return pairs


def _names_equal(method: models.DesiredMethod, live: models.LiveMethod) -> bool:
    return method.name is not None and method.name == live.name


def _same_name(method: models.DesiredMethod, live: models.LiveMethod) -> bool:
    return _names_equal(method, live)


def _same_key(method: models.DesiredMethod, live: models.LiveMethod) -> bool:
    # a live key without key_id cannot be told apart: treat it as possibly this one (no churn)
    return live.key_id is None or live.key_id == method.key_id


def _phone_fits(method: models.DesiredMethod, live: models.LiveMethod) -> bool:
    if method.phone_number is None:
        return False
    # a number the API did not report at all is as good as fully masked
    return live.phone_number is None or masking.phone_compatible(
        live.phone_number, method.phone_number
    )


def _email_fits(method: models.DesiredMethod, live: models.LiveMethod) -> bool:
    if method.email is None:
        return False
    return live.email is None or masking.email_compatible(live.email, method.email)


#: The order kinds are matched in, and how a desired method of each kind recognises a live one.
_KINDS: tuple[tuple[models.MethodType, Compatible], ...] = (
    (models.MethodType.WEBAUTHN_ROAMING, _same_key),
    (models.MethodType.PHONE, _phone_fits),
    (models.MethodType.EMAIL, _email_fits),
    (models.MethodType.TOTP, _same_name),
)
_COMPATIBLE: dict[models.MethodType, Compatible] = dict(_KINDS)


# -- actions --------------------------------------------------------------------------------------


def _patch(
    method: models.DesiredMethod,
    live: models.LiveMethod,
    *,
    ignore: frozenset[models.IgnorableField],
) -> plans.Action | None:
    """A PATCH of `name` / `preferred_authentication_method` when they differ, else None."""
    wanted, current = _compared_fields(method, live, ignore=ignore)
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


def _compared_fields(
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


def _create(method: models.DesiredMethod) -> plans.Action:
    return plans.Action(
        op=plans.Op.CREATE,
        type=method.type.value,
        name=method.name,
        method=method,
        display=plans.desired_display(method),
    )


def _delete(live: models.LiveMethod) -> plans.Action:
    return plans.Action(
        op=plans.Op.DELETE,
        type=live.type,
        name=live.name,
        method_id=live.id,
        display=plans.live_display(live),
    )


def _create_problem(method: models.DesiredMethod) -> str | None:
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


def _replace_action(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    *,
    matched: Sequence[models.LiveMethod | None],
    deleted: Sequence[models.LiveMethod],
    granular_count: int,
    allow: bool,
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
        if _create_problem(wanted) is not None:
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


class _Base(NamedTuple):
    """What every plan of a user carries, whatever its actions (a tuple: built once per user)."""

    key: str
    user_id: str | None
    live_fingerprint: str | None
    live_count: int
    unmanaged: tuple[models.LiveMethod, ...]
    declared_empty: bool


def _as_error(base: _Base, message: str) -> plans.UserPlan:
    return plans.UserPlan(
        key=base.key,
        user_id=base.user_id,
        error=message,
        live_fingerprint=base.live_fingerprint,
        live_count=base.live_count,
        remaining_count=base.live_count,
        unmanaged=base.unmanaged,
        declared_empty=base.declared_empty,
    )


def _with_actions(
    base: _Base, actions: tuple[plans.Action, ...], *, remaining: int
) -> plans.UserPlan:
    return plans.UserPlan(
        key=base.key,
        user_id=base.user_id,
        actions=actions,
        live_fingerprint=base.live_fingerprint,
        live_count=base.live_count,
        remaining_count=remaining,
        unmanaged=base.unmanaged,
        declared_empty=base.declared_empty,
    )
