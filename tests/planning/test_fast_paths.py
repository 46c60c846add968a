"""The planner's shortcuts give the plans of the general path, byte for byte.

`planning.plan_user` decides a simply in-sync user (`_in_sync`) without the matching machinery,
and leaves the live fingerprint out when asked (`fingerprint=False`); `masking.phone_compatible`
reads the API's usual mask shape without a loop. Each is checked here against the slow answer, on
generated users built from small pools of values so that in-sync users, near misses (a renamed
method, another number, a re-seed, a pin, an extra live method) and everything between come up.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mfasync import masking, models, planning, plans, rendering, secretrefs
from mfasync import settings as mfsettings
from mfasync.executing import plan_users
from tests.planning import builders as b

SEARCH = settings(max_examples=1000, deadline=None, derandomize=True)

NAMES = st.sampled_from([None, "SMS", "Work", "App", "Key"])
NUMBERS = ["+14155550123", "+14155559999", "+442071838750"]
MASKED_NUMBERS = ["XXXXXXXX0123", "XXXXXXXX9999", "XXXXXXXXX8750", "+14155550123", "XXXX"]
ADDRESSES = ["alice@example.com", "bob@example.org"]
MASKED_ADDRESSES = ["alic*@exam*******", "****@exam*******", "bob@example.org"]
PREFERRED = st.sampled_from([None, "sms", "voice"])


@st.composite
def desired_methods(draw: st.DrawFn) -> models.DesiredMethod:
    kind = draw(st.sampled_from(list(models.MethodType)))
    name = draw(NAMES)
    if draw(st.integers(0, 9)) == 0:
        return b.pinned(draw(st.sampled_from(["phone|1", "totp|0", "x|9"])), kind.value, name)
    if kind is models.MethodType.PHONE:
        return b.phone(draw(st.sampled_from(NUMBERS)), name, draw(PREFERRED))
    if kind is models.MethodType.EMAIL:
        return b.email(draw(st.sampled_from(ADDRESSES)), name)
    if kind is models.MethodType.TOTP:
        return b.totp(name, seed=draw(st.sampled_from([b.SEED, None])))
    return b.key(draw(st.sampled_from(["key-a", "key-b"])), name)


@st.composite
def live_methods(draw: st.DrawFn, index: int) -> models.LiveMethod:
    kind = draw(st.sampled_from(["phone", "email", "totp", "webauthn-roaming", "push"]))
    # ids are unique within a listing, as the API's are (`pinned` refers to some of them)
    method_id = f"{kind}|{index}"
    name = draw(NAMES)
    fields: dict[str, str] = {}
    if kind == "phone":
        if draw(st.booleans()):
            fields["phone_number"] = draw(st.sampled_from(MASKED_NUMBERS))
        preferred = draw(PREFERRED)
        if preferred is not None:
            fields["preferred_authentication_method"] = preferred
    elif kind == "email" and draw(st.booleans()):
        fields["email"] = draw(st.sampled_from(MASKED_ADDRESSES))
    elif kind == "webauthn-roaming" and draw(st.booleans()):
        fields["key_id"] = draw(st.sampled_from(["key-a", "key-b"]))
    return b.live(method_id, kind, name, **fields)


@st.composite
def cases(draw: st.DrawFn) -> tuple[models.DesiredUser, list[models.LiveMethod], models.Policy]:
    methods = draw(st.lists(desired_methods(), min_size=0, max_size=3))
    live = [draw(live_methods(index)) for index in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        # the same methods, in sync (the shortcut's case), or with one extra live method
        if draw(st.booleans()):
            methods = list({method.type: method for method in methods}.values())
        twins = [_live_twin(method, index) for index, method in enumerate(methods)]
        live = twins + [m for m in live[:1] if m.id not in {twin.id for twin in twins}]
        if draw(st.integers(0, 2)):
            live = live[: len(methods)]
    user = b.user(
        *methods,
        prune=draw(st.sampled_from(["managed", "none"])),
        ignore=tuple(draw(st.sets(st.sampled_from(["name", "preferred_authentication_method"])))),
    )
    policy = models.Policy(
        reseed_totp=draw(st.sampled_from([frozenset(), {"auth0|bob"}, {"auth0|alice", "x"}])),
        allow_replace=draw(st.booleans()),
    )
    return user, draw(st.permutations(live)), policy


def _live_twin(method: models.DesiredMethod, index: int) -> models.LiveMethod:
    fields: dict[str, str] = {}
    if method.phone_number is not None:
        fields["phone_number"] = "X" * (len(method.phone_number) - 4) + method.phone_number[-4:]
    if method.preferred_authentication_method is not None:
        fields["preferred_authentication_method"] = method.preferred_authentication_method.value
    if method.email is not None:
        fields["email"] = method.email
    if method.key_id is not None:
        fields["key_id"] = method.key_id
    method_id = method.id or f"{method.type.value}|twin{index}"
    return b.live(method_id, method.type.value, method.name, **fields)


def _general(
    user: models.DesiredUser, live: list[models.LiveMethod], policy: models.Policy
) -> plans.UserPlan:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(planning, "_in_sync", lambda *args: False)
        return planning.plan_user(user, live, policy)


def _renderings(user_plan: plans.UserPlan) -> tuple[str, str, str]:
    plan = plans.Plan(users=(user_plan,))
    saved = json.dumps(plans._user_document(user_plan, saved=plans.NO_KEY), sort_keys=True)
    return rendering.render_json(plan), rendering.render_text(plan), saved


@SEARCH
@given(cases())
def test_the_in_sync_shortcut_plans_as_the_general_path(
    case: tuple[models.DesiredUser, list[models.LiveMethod], models.Policy],
) -> None:
    user, live, policy = case
    fast = planning.plan_user(user, live, policy)
    slow = _general(user, live, policy)
    assert fast == slow
    assert _renderings(fast) == _renderings(slow)
    if planning._in_sync(user, live, policy, user.user_id):
        assert not fast.changed
        assert fast.error is None


def test_the_generated_cases_take_the_shortcut_often_and_not_always() -> None:
    # the search above is worth something only if both answers come up many times
    taken: list[bool] = []

    @SEARCH
    @given(cases())
    def search(case: tuple[models.DesiredUser, list[models.LiveMethod], models.Policy]) -> None:
        user, live, policy = case
        taken.append(planning._in_sync(user, live, policy, user.user_id))

    search()
    assert 60 <= sum(taken) <= len(taken) - 60


@SEARCH
@given(cases())
def test_without_a_fingerprint_only_the_fingerprint_is_left_out(
    case: tuple[models.DesiredUser, list[models.LiveMethod], models.Policy],
) -> None:
    user, live, policy = case
    full = planning.plan_user(user, live, policy)
    light = planning.plan_user(user, live, policy, fingerprint=False)
    assert full.live_fingerprint == plans.live_fingerprint(live)
    assert light.live_fingerprint is None
    assert light == dataclasses.replace(full, live_fingerprint=None)
    assert rendering.render_json(plans.Plan(users=(light,))) == rendering.render_json(
        plans.Plan(users=(full,))
    )


def test_a_user_without_actions_has_the_digest_of_no_actions() -> None:
    assert plans.UserPlan(key="auth0|x").action_digest() == plans._digest([])


def test_a_plan_without_fingerprints_cannot_be_saved(tmp_path: object) -> None:
    from pathlib import Path

    user_plan = planning.plan_user(
        b.user(b.totp("App")), [b.live("totp|1", "totp", "App")], models.Policy(), fingerprint=False
    )
    path = Path(str(tmp_path)) / "plan.json"
    with pytest.raises(ValueError, match="without a live fingerprint"):
        plans.write_plan_file(path, plans.Plan(users=(user_plan,)), manifest_files=[])
    assert not path.exists()
    # an error plan has no fingerprint to save: it is written as before
    plans.write_plan_file(
        path, plans.Plan(users=(plans.error_plan("a", "404"),)), manifest_files=[]
    )
    assert path.exists()


class _Backend:
    def __init__(self, live: dict[str, list[models.LiveMethod]]) -> None:
        self.live = live

    async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]:
        return tuple(self.live[user_id])

    async def find_users_by_email(self, email: str) -> tuple[str, ...]:
        return ()


async def test_plan_users_computes_fingerprints_only_when_asked() -> None:
    live = {
        "auth0|alice": [b.live_phone("phone|1", "XXXXXXXX0123", "SMS")],
        "auth0|bob": [b.live("totp|1", "totp", "Old")],
    }
    users = [
        b.user(b.phone("+14155550123", "SMS"), user_id="auth0|alice"),
        b.user(b.totp("App"), user_id="auth0|bob"),  # a rename: changed
    ]

    async def plan(fingerprints: bool) -> plans.Plan:
        return await plan_users(
            users,
            backend=_Backend(live),
            policy=models.Policy(),
            settings=mfsettings.RunSettings(),
            resolver=secretrefs.Resolver({}),
            fingerprints=fingerprints,
        )

    light = await plan(False)
    full = await plan(True)
    assert [user.live_fingerprint for user in light.users] == [None, None]
    assert [user.live_fingerprint for user in full.users] == [
        plans.live_fingerprint(live[user.key]) for user in full.users
    ]
    assert plans.to_document(light) == plans.to_document(full)


def _old_phone_compatible(masked: str, e164: str) -> bool:
    if masked == e164:
        return True
    if len(masked) != len(e164):
        return False
    return all(m in masking.MASK_CHARACTERS or m == d for m, d in zip(masked, e164, strict=True))


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(
    st.text(alphabet="X*+0123456789", max_size=14),
    st.text(alphabet="+0123456789X", max_size=14),
)
def test_phone_compatible_gives_the_per_character_answer(masked: str, number: str) -> None:
    assert masking.phone_compatible(masked, number) == _old_phone_compatible(masked, number)
    # and with the lengths made equal, where the answer depends on the characters
    padded = number[: len(masked)].ljust(len(masked), "5")
    assert masking.phone_compatible(masked, padded) == _old_phone_compatible(masked, padded)


def test_secret_values_are_never_in_what_the_shortcut_returns() -> None:
    seed = "SECRETSEEDVALUE1"
    user = b.user(b.totp("App", seed=seed))
    user_plan = planning.plan_user(user, [b.live("totp|1", "totp", "App")], models.Policy())
    assert planning._in_sync(user, [b.live("totp|1", "totp", "App")], models.Policy(), None)
    assert seed not in repr(user_plan)
    assert seed not in "".join(_renderings(user_plan))
