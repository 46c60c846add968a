"""Plan values: bodies, summary, fingerprints, digests and the safety guards (pure)."""

from __future__ import annotations

import pytest

from mfasync import errors, models, planning, plans, settings
from tests.planning import builders as b

POLICY = models.Policy()


def user_plan(
    key: str, *, live: int, remaining: int, deletes: bool, empty: bool = False
) -> plans.UserPlan:
    actions = (
        (plans.Action(op=plans.Op.DELETE, type="phone", method_id="phone|dev_1"),)
        if deletes
        else (plans.Action(op=plans.Op.PATCH, type="phone", method_id="phone|dev_1"),)
    )
    return plans.UserPlan(
        key=key, actions=actions, live_count=live, remaining_count=remaining, declared_empty=empty
    )


def test_http_methods_follow_the_op() -> None:
    assert [plans.Action(op=op, type="phone").http_method for op in plans.Op] == [
        "POST",
        "PATCH",
        "DELETE",
        "PUT",
    ]


def test_create_body_reveals_values_and_redacted_body_hides_them() -> None:
    action = planning.plan_user(b.user(b.totp("App")), [], POLICY).actions[0]
    assert action.request_body() == {"type": "totp", "name": "App", "totp_secret": b.SEED}
    assert action.redacted_body() == {"type": "totp", "name": "App", "totp_secret": "<redacted>"}
    phone = planning.plan_user(b.user(b.phone("+14155550123", "Work")), [], POLICY).actions[0]
    assert phone.redacted_body() == {
        "type": "phone",
        "name": "Work",
        "phone_number": "...0123",
        "preferred_authentication_method": "sms",
    }


def test_webauthn_create_body_has_the_key_fields() -> None:
    action = planning.plan_user(b.user(b.key("kid-1", "YubiKey")), [], POLICY).actions[0]
    assert action.request_body() == {
        "type": "webauthn-roaming",
        "name": "YubiKey",
        "key_id": "kid-1",
        "public_key": "cHVibGljLWtleQ==",
        "relying_party_identifier": "example.com",
    }


def test_delete_has_no_body() -> None:
    action = plans.Action(op=plans.Op.DELETE, type="phone", method_id="phone|dev_1")
    assert action.request_body() is None


def test_request_body_of_an_unresolved_secret_raises_naming_the_reference() -> None:
    method = b.totp("App", seed=None, reference="${env:X}", problem="variable X is not set")
    action = plans.Action(op=plans.Op.CREATE, type="totp", name="App", method=method)
    with pytest.raises(errors.SecretRefError, match=r"\$\{env:X\} cannot be resolved"):
        action.request_body()
    assert action.redacted_body() == {"type": "totp", "name": "App", "totp_secret": "<redacted>"}


def test_summary_counts_methods_a_replace_carries_as_creates_and_the_replace_once() -> None:
    plan = plans.Plan(
        users=(
            planning.plan_user(b.user(b.totp("A"), b.totp("B"), b.email("a@b.io")), [], POLICY),
            plans.error_plan("auth0|broken", "no such user"),
            planning.plan_user(b.user(user_id="auth0|none"), [], POLICY),
        )
    )
    assert plan.summary == plans.Summary(
        users=3, users_with_changes=1, create=3, patch=0, delete=0, replace=1, errors=1
    )
    assert plan.summary.unchanged == 1


def test_plan_users_are_sorted_by_key() -> None:
    plan = plans.Plan(users=(plans.UserPlan(key="b"), plans.UserPlan(key="a")))
    assert [user.key for user in plan.users] == ["a", "b"]


def test_live_fingerprint_is_stable_under_reordering_and_sees_a_rename() -> None:
    one = b.live_phone("phone|dev_1", "XXXXXXXX0123", "Work")
    two = b.live("totp|dev_1", "totp", "App")
    renamed = b.live("totp|dev_1", "totp", "App 2")
    assert plans.live_fingerprint([one, two]) == plans.live_fingerprint([two, one])
    assert plans.live_fingerprint([one, two]) != plans.live_fingerprint([one, renamed])


def test_field_fingerprint_is_keyed_salted_by_user_and_hides_the_value() -> None:
    key = plans.Fingerprinter(b"k" * 32)
    first = key.field("auth0|a", b.SEED)
    assert first is not None
    assert first == key.field("auth0|a", b.SEED)
    assert first != key.field("auth0|b", b.SEED)
    assert first != plans.Fingerprinter(b"x" * 32).field("auth0|a", b.SEED)
    assert b.SEED not in first
    assert plans.NO_KEY.field("auth0|a", b.SEED) is None


def test_method_fingerprint_of_a_desired_method_equals_that_of_its_request_body() -> None:
    key = plans.Fingerprinter(b"k" * 32)
    for method in (b.phone("+14155550123"), b.totp("App"), b.email("a@example.com")):
        assert key.method(method) is not None
        assert key.method(method) == key.body(plans.method_body(method, reveal=True))
    assert key.method(b.phone("+14155550123")) != key.method(b.phone("+14155550124"))
    assert plans.NO_KEY.method(b.phone("+14155550123")) is None


def test_action_digest_changes_with_the_secret_value_not_only_the_shape() -> None:
    policy = models.Policy(allow_replace=False)
    first = planning.plan_user(b.user(b.totp("App")), [], policy)
    other = planning.plan_user(b.user(b.totp("App", seed=b.OTHER_SEED)), [], policy)
    again = planning.plan_user(b.user(b.totp("App")), [], policy)
    key = plans.Fingerprinter(b"k" * 32)
    assert first.action_digest(key) == again.action_digest(key)
    assert first.action_digest(key) != other.action_digest(key)
    # without a state key, values are not in the digest at all
    assert first.action_digest() == other.action_digest()


def test_guard_refuses_leaving_a_user_with_methods_with_none() -> None:
    plan = plans.Plan(users=(user_plan("auth0|a", live=2, remaining=0, deletes=True),))
    assert plans.check_guards(plan, settings.SafetySettings()) == (
        "safety guard 'no-user-left-without-methods': 1 user would be left with no methods at "
        "all (auth0|a); declare such a user with `methods: []` if that is intended, or use --force",
    )


def test_guard_allows_emptying_a_user_declared_with_no_methods() -> None:
    plan = plans.Plan(users=(user_plan("auth0|a", live=2, remaining=0, deletes=True, empty=True),))
    assert plans.check_guards(plan, settings.SafetySettings()) == ()


def test_planner_output_passes_the_empty_user_guard_only_when_declared_empty() -> None:
    live = [b.live("totp|dev_1", "totp", "App"), b.live("push|dev_1", "push")]
    emptied = planning.plan_user(b.user(), live[:1], POLICY)
    kept_push = planning.plan_user(b.user(), live, POLICY)
    assert (emptied.live_count, emptied.remaining_count, emptied.declared_empty) == (1, 0, True)
    assert (kept_push.live_count, kept_push.remaining_count) == (2, 1)
    plan = plans.Plan(users=(emptied, kept_push))
    assert plans.check_guards(plan, settings.SafetySettings()) == ()


def test_ratio_guard_names_a_few_users_then_and_n_more() -> None:
    users = [user_plan(f"auth0|d{i}", live=2, remaining=1, deletes=True) for i in range(7)]
    users += [user_plan(f"auth0|k{i}", live=1, remaining=1, deletes=False) for i in range(5)]
    assert plans.check_guards(plans.Plan(users=tuple(users)), settings.SafetySettings()) == (
        "safety guard 'max-deleting-users-ratio': 7 of 12 planned users (58%) would lose "
        "methods, more than the 30% allowed (auth0|d0, auth0|d1, auth0|d2, auth0|d3, auth0|d4 "
        "and 2 more); use --force to apply anyway",
    )


@pytest.mark.parametrize(
    ("deleting", "keeping", "violations"),
    [
        (3, 7, 0),  # exactly 30%: allowed
        (4, 6, 1),  # 40% of 10
        (4, 5, 0),  # 9 users: below the minimum for the ratio guard
    ],
)
def test_ratio_guard_applies_above_the_ratio_from_the_minimum_user_count(
    deleting: int, keeping: int, violations: int
) -> None:
    users = [user_plan(f"auth0|d{i}", live=2, remaining=1, deletes=True) for i in range(deleting)]
    users += [user_plan(f"auth0|k{i}", live=1, remaining=1, deletes=False) for i in range(keeping)]
    found = plans.check_guards(plans.Plan(users=tuple(users)), settings.SafetySettings())
    assert len(found) == violations


def test_guard_messages_mask_email_keys() -> None:
    plan = plans.Plan(
        users=(user_plan("email:alice@example.com", live=1, remaining=0, deletes=True),)
    )
    (message,) = plans.check_guards(plan, settings.SafetySettings())
    assert "alice@example.com" not in message
    assert "email:al***@exam*******" in message


def test_document_has_the_stable_part_of_design_section_1() -> None:
    plan = plans.Plan(users=(planning.plan_user(b.user(b.totp("Authenticator")), [], POLICY),))
    document = plans.to_document(plan)
    assert document["format_version"] == 1
    assert document["summary"] == {
        "users": 1,
        "users_with_changes": 1,
        "create": 1,
        "patch": 0,
        "delete": 0,
        "replace": 0,
        "errors": 0,
    }
    users = document["users"]
    assert isinstance(users, list)
    assert (users[0]["user_id"], users[0]["error"]) == ("auth0|alice", None)
    action = users[0]["actions"][0]
    assert (action["op"], action["type"], action["name"]) == ("create", "totp", "Authenticator")


def test_the_live_fingerprint_holds_numbers_and_addresses_masked_even_from_an_unmasked_tenant() -> (
    None
):
    """A saved plan's live fingerprint is a plain SHA-256: fed a full phone number or address
    (a tenant that reads them unmasked), it would let a reader confirm a guessed one."""

    def listing(number: str, address: str) -> list[models.LiveMethod]:
        return [
            models.LiveMethod(id="phone|1", type="phone", phone_number=number),
            models.LiveMethod(id="email|1", type="email", email=address),
        ]

    full = plans.live_fingerprint(listing("+14155550123", "alice@example.com"))
    other_digits = plans.live_fingerprint(listing("+19995550123", "alxyz@examplo.com"))
    assert full == other_digits  # only what a masked read shows goes in
    assert full != plans.live_fingerprint(listing("+14155550999", "alice@example.com"))
