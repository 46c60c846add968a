"""Which live method each desired method is (DESIGN.md section 2), masks and records together.

Reads mask values, so nothing here compares a desired value with a live one by equality: phones and
emails match by mask compatibility (`masking`), TOTPs by name then by elimination (their seed is
unreadable), WebAuthn keys by key_id, pinned methods by id.

With a state, each live method may have a record holding the keyed fingerprint of the value
mfasync declared for it. A pair then has a score: `EQUAL` (the record's fingerprint is the desired
value's: surely this one, whatever the mask or name says), `UNKNOWN` (no record, or nothing to
compare) and `DIFFERENT` (the record says it holds another value). Matching prefers lower scores,
then the same name, then listing order; a `DIFFERENT` pair is still a match (the planner replaces
its value, make before break). Without records every pair is `UNKNOWN`: the plain mask rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum

from mfasync import masking, models, records

Compatible = Callable[[models.DesiredMethod, models.LiveMethod], bool]


class Score(IntEnum):
    """How sure the record makes a (desired, live) pair; lower is better."""

    EQUAL = 0
    UNKNOWN = 1
    DIFFERENT = 2


class Scorer:
    """Scores pairs from the records of one user's live methods and the desired fingerprints."""

    def __init__(
        self,
        records_by_id: Mapping[str, records.MethodRecord],
        fingerprints: Sequence[str | None],
    ) -> None:
        self._records = records_by_id
        self._fingerprints = fingerprints

    def __call__(self, index: int, live: models.LiveMethod) -> Score:
        record = self._records.get(live.id)
        wanted = self._fingerprints[index] if index < len(self._fingerprints) else None
        if record is None or record.fingerprint is None or wanted is None:
            return Score.UNKNOWN
        return Score.EQUAL if record.fingerprint == wanted else Score.DIFFERENT


def _unknown(index: int, live: models.LiveMethod) -> Score:
    return Score.UNKNOWN


NO_RECORDS: Callable[[int, models.LiveMethod], Score] = _unknown
"""The score of every pair when there are no records: the plain mask rules."""


def match(
    desired: Sequence[models.DesiredMethod],
    live: Sequence[models.LiveMethod],
    *,
    score: Callable[[int, models.LiveMethod], Score] = _unknown,
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

    for kind, compatible in KINDS:
        wanted = wanted_by_kind.get(kind)
        if not wanted:
            continue  # nothing of this kind to match (the usual case: one or two kinds per user)
        # a sub-authenticator (sms|dev_ listed beside its phone) is part of another entry
        candidates = [
            m for m in live if m.type == kind.value and m.id not in taken and not m.sub_method
        ]
        scores = [[score(index, m) for m in candidates] for index in wanted]
        fits = [
            [
                scores[row][j] is Score.EQUAL or compatible(desired[index], candidate)
                for j, candidate in enumerate(candidates)
            ]
            for row, index in enumerate(wanted)
        ]
        methods = [desired[index] for index in wanted]
        if len(wanted) == 1:
            pairs = _match_one(methods[0], candidates, fits[0], scores[0])
        else:
            pairs = _max_matching(methods, candidates, fits, scores)
        if kind is models.MethodType.TOTP:
            pairs = _eliminate(pairs, wanted_count=len(wanted), live_count=len(candidates))
        for position, live_position in pairs.items():
            result[wanted[position]] = candidates[live_position]
            taken.add(candidates[live_position].id)
    return tuple(result), problems


def _max_matching(
    desired: Sequence[models.DesiredMethod],
    live: Sequence[models.LiveMethod],
    fits: Sequence[Sequence[bool]],
    scores: Sequence[Sequence[Score]],
) -> dict[int, int]:
    """A maximum matching desired -> live (positions), best-scored and same-name pairs first.

    Pairs are admitted tier by tier: pairs the records confirm, then same-name pairs no record
    contradicts, then every pair no record contradicts, then the rest; each tier may extend the
    matching (augmenting paths, so one early choice cannot leave a later method unmatched
    needlessly). Candidates are tried in a fixed order: the result is deterministic. One live
    method is never matched twice.
    """

    def admitted(i: int, j: int, tier: int) -> bool:
        pair = scores[i][j]
        if tier == 0:
            return pair is Score.EQUAL
        if tier == 1:
            return pair is not Score.DIFFERENT and _names_equal(desired[i], live[j])
        if tier == 2:
            return pair is not Score.DIFFERENT
        return True

    def row(i: int, tier: int) -> list[int]:
        chosen = [j for j in range(len(live)) if fits[i][j] and admitted(i, j, tier)]
        # best score first, then the same name, then listing order
        return sorted(
            chosen, key=lambda j: (scores[i][j], not _names_equal(desired[i], live[j]), j)
        )

    tiers = [[row(i, tier) for i in range(len(desired))] for tier in range(4)]
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

    for rows in tiers:
        assigned = set(owner.values())
        for position in range(len(desired)):
            if position not in assigned:
                augment(position, rows, set())
    return {position: live_position for live_position, position in owner.items()}


def _match_one(
    method: models.DesiredMethod,
    live: Sequence[models.LiveMethod],
    fits: Sequence[bool],
    scores: Sequence[Score],
) -> dict[int, int]:
    """`_max_matching` for one desired method (the usual case), without the graph.

    The same answer: the fitting candidate with the best score, then the same name, then the
    first in listing order; an empty result when none fits.
    """
    best: tuple[Score, bool, int] | None = None
    for position, live_method in enumerate(live):
        if not fits[position]:
            continue
        rank = (scores[position], not _names_equal(method, live_method), position)
        if best is None or rank < best:
            best = rank
    return {} if best is None else {0: best[2]}


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
KINDS: tuple[tuple[models.MethodType, Compatible], ...] = (
    (models.MethodType.WEBAUTHN_ROAMING, _same_key),
    (models.MethodType.PHONE, _phone_fits),
    (models.MethodType.EMAIL, _email_fits),
    (models.MethodType.TOTP, _same_name),
)
COMPATIBLE: dict[models.MethodType, Compatible] = dict(KINDS)
