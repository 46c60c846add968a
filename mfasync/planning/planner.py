"""The pure planner: `plan_user(desired, live, policy) -> plans.UserPlan` (DESIGN.md section 2).

Matches desired methods to live ones (`matching`), then builds creates, patches and deletes
(`actions`), or a single PUT when that is safe and cheaper (`replacing`). With `known` (what the
state recorded), a matched method whose recorded value differs from the desired one is re-created
(make before break), and `prune: owned` deletes only what the records say mfasync created or
adopted. Without it, or with no records, the plan is exactly the plain mask-based one.

Pure and deterministic: no I/O, no clock, no asyncio, no randomness; the same input gives a
byte-identical plan. Unmanaged and unknown live types are never touched, and nothing here may read
a secret value except to decide whether it is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from mfasync import models, plans, records
from mfasync.planning import actions, matching, replacing


def plan_user(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    policy: models.Policy,
    *,
    user_id: str | None = None,
    fingerprint: bool = True,
    known: records.Knowledge | None = None,
) -> plans.UserPlan:
    """Plan one user: creates, then patches, then deletes (make before break), or a single PUT.

    `fingerprint=False` leaves `live_fingerprint` None: only a saved plan (`plan --out`) and its
    check (`apply --plan`) read it, and it is a sizeable share of an in-sync user's planning.
    `known`: the state's records of this user and the desired values' fingerprints.
    """
    resolved_id = user_id if user_id is not None else desired.user_id
    score = _scorer(known)
    pairs = _in_sync_pairs(desired, live, policy, resolved_id, score)
    if pairs is not None:
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
            adoptions=_adoptions(pairs, known),
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

    score_of = score if score is not None else matching.NO_RECORDS
    matched, pin_problems = matching.match(desired.methods, live_sorted, score=score_of)
    if pin_problems:
        return _as_error(base, "; ".join(pin_problems))

    reseed = _reseeds(desired, policy, resolved_id)
    creates: list[tuple[models.DesiredMethod, str | None]] = []
    patches: list[plans.Action] = []
    replaced_values: list[models.LiveMethod] = []  # re-created: new seed, or a changed value
    kept: list[tuple[int, models.LiveMethod]] = []
    value_changed_ids: set[str] = set()
    gone = _gone_fingerprints(live_sorted, known)
    for index, (method, live_method) in enumerate(zip(desired.methods, matched, strict=True)):
        if live_method is None:
            was_there = gone and known is not None and known.fingerprints[index] in gone
            creates.append((method, actions.GONE if was_there else None))
        elif reseed and method.type is models.MethodType.TOTP and not method.pinned:
            # a changed seed cannot be seen: re-seeding is asked for, so make new, then drop old
            creates.append((method, None))
            replaced_values.append(live_method)
        elif not method.pinned and score_of(index, live_method) is matching.Score.DIFFERENT:
            # the record says this method holds another value than the manifest's (a new number
            # with the same last digits, a rotated seed): make the new one, then drop the old
            creates.append((method, actions.VALUE_CHANGED))
            replaced_values.append(live_method)
            value_changed_ids.add(live_method.id)
        else:
            kept.append((index, live_method))
            patch = actions.patch(method, live_method, ignore=desired.ignore)
            if patch is not None:
                patches.append(patch)

    pruned, outside = _pruned(desired, live_sorted, matched, known)
    deleted = sorted([*replaced_values, *pruned], key=lambda method: (method.type, method.id))

    problems = [problem for method, _ in creates if (problem := actions.create_problem(method))]
    if problems:
        return _as_error(base, "; ".join(problems))

    value_changed = bool(value_changed_ids)  # a PUT carries the reason too
    granular = (
        *(actions.create(method, reason=reason) for method, reason in creates),
        *patches,
        *(
            actions.delete(
                method, reason=actions.VALUE_CHANGED if method.id in value_changed_ids else None
            )
            for method in deleted
        ),
    )
    adoptions = _adoptions(kept, known)
    replace = replacing.replace_action(
        desired,
        live_sorted,
        matched=matched,
        deleted=deleted,
        granular_count=len(granular),
        allow=policy.allow_replace,
        reason=actions.VALUE_CHANGED if value_changed else None,
    )
    if replace is not None:
        return _with_actions(
            base, (replace,), remaining=len(replace.methods), outside=outside, adoptions=()
        )
    remaining = len(live_sorted) - len(deleted) + len(creates)
    return _with_actions(base, granular, remaining=remaining, outside=outside, adoptions=adoptions)


def _scorer(known: records.Knowledge | None) -> matching.Scorer | None:
    if known is None or not known.records:
        return None  # an empty state plans exactly as no state
    return matching.Scorer(known.records, known.fingerprints)


def _gone_fingerprints(
    live: Sequence[models.LiveMethod], known: records.Knowledge | None
) -> frozenset[str]:
    """Fingerprints of methods mfasync created or adopted that the listing no longer shows."""
    if known is None or not known.records:
        return frozenset()
    listed = {method.id for method in live}
    return frozenset(
        record.fingerprint
        for record in known.records.values()
        if record.method_id not in listed
        and record.origin in records.OWNED_ORIGINS
        and record.fingerprint is not None
    )


def _pruned(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    matched: Sequence[models.LiveMethod | None],
    known: records.Knowledge | None,
) -> tuple[list[models.LiveMethod], tuple[models.LiveMethod, ...]]:
    """(live methods the prune policy deletes, undeclared ones kept as enrolled outside mfasync)."""
    if desired.prune is models.Prune.NONE:
        return [], ()
    matched_ids = {method.id for method in matched if method is not None}
    unmatched = [m for m in live if m.managed and m.id not in matched_ids]
    if desired.prune is models.Prune.MANAGED:
        return unmatched, ()
    # prune: owned deletes only what the state says mfasync created or adopted
    owned = known.records if known is not None else {}
    pruned = [m for m in unmatched if m.id in owned and owned[m.id].origin in records.OWNED_ORIGINS]
    pruned_ids = {m.id for m in pruned}
    return pruned, tuple(m for m in unmatched if m.id not in pruned_ids)


def _adoptions(
    pairs: Sequence[tuple[int, models.LiveMethod]], known: records.Knowledge | None
) -> tuple[tuple[str, str], ...]:
    """Matched live methods no record claims yet, with the declared value's fingerprint."""
    if known is None:
        return ()
    found: list[tuple[str, str]] = []
    for index, live_method in pairs:
        record = known.records.get(live_method.id)
        wanted = known.fingerprints[index] if index < len(known.fingerprints) else None
        if wanted is None:
            continue
        if record is None or record.origin is records.MethodOrigin.SEEN:
            found.append((live_method.id, wanted))
    return tuple(found)


def _reseeds(desired: models.DesiredUser, policy: models.Policy, resolved_id: str | None) -> bool:
    return desired.key in policy.reseed_totp or (
        resolved_id is not None and resolved_id in policy.reseed_totp
    )


def in_sync(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    policy: models.Policy,
    resolved_id: str | None,
) -> bool:
    """Whether `plan_user`'s shortcut takes this user (no state)."""
    return _in_sync_pairs(desired, live, policy, resolved_id, None) is not None


def _in_sync_pairs(
    desired: models.DesiredUser,
    live: Sequence[models.LiveMethod],
    policy: models.Policy,
    resolved_id: str | None,
    score: matching.Scorer | None,
) -> list[tuple[int, models.LiveMethod]] | None:
    """The (desired index, live method) pairs when the user is in sync the simple way, else None.

    Not None only when the general path surely plans nothing: as many live methods as declared
    ones, at most one of each type on either side (so each declared method has exactly one
    candidate), no pin, each pair compatible (a lone TOTP pairs by elimination anyway), not
    re-seeded, no record saying another value, and no field to patch. Every live method is then
    matched and managed: nothing to delete or prune, nothing unmanaged, and no PUT (it needs at
    least two granular actions). None sends the user down the general path, which decides
    everything again.
    """
    methods = desired.methods
    count = len(methods)
    if count != len(live) or count == 0:
        return None
    pairs: list[tuple[int, models.LiveMethod]]
    if count == 1:
        pairs = [(0, live[0])]
        if live[0].type != methods[0].type.value:
            return None
    else:
        by_type = {method.type: method for method in live}
        if len(by_type) != count or len({method.id for method in live}) != count:
            return None
        pairs = []
        for index, method in enumerate(methods):
            found = by_type.pop(method.type.value, None)  # popped: two declared of a type fail
            if found is None:
                return None
            pairs.append((index, found))
    for index, live_method in pairs:
        method = methods[index]
        if method.id is not None:
            return None
        kind = method.type
        if kind is models.MethodType.TOTP:
            if _reseeds(desired, policy, resolved_id):
                return None
        elif not matching.COMPATIBLE[kind](method, live_method):
            return None
        if score is not None and score(index, live_method) is matching.Score.DIFFERENT:
            return None
        wanted, current = actions.compared_fields(method, live_method, ignore=desired.ignore)
        if current != wanted:
            return None
    return pairs


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
    base: _Base,
    planned: tuple[plans.Action, ...],
    *,
    remaining: int,
    outside: tuple[models.LiveMethod, ...],
    adoptions: tuple[tuple[str, str], ...],
) -> plans.UserPlan:
    return plans.UserPlan(
        key=base.key,
        user_id=base.user_id,
        actions=planned,
        live_fingerprint=base.live_fingerprint,
        live_count=base.live_count,
        remaining_count=remaining,
        unmanaged=base.unmanaged,
        declared_empty=base.declared_empty,
        outside=outside,
        adoptions=adoptions,
    )
