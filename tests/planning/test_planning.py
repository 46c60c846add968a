"""The pure planner: mask matching, actions, ordering, full replace (DESIGN.md section 2)."""

from __future__ import annotations

import json

import pytest

from mfasync import models, planning, plans
from tests.planning import builders as b

POLICY = models.Policy()


def outline(user_plan: plans.UserPlan) -> list[tuple[str, str, str | None, str | None]]:
    """Each action as (op, type, name, method_id or display): a literal to assert against."""
    return [
        (a.op.value, a.type, a.name, a.method_id if a.method_id is not None else a.display)
        for a in user_plan.actions
    ]


def plan(
    desired: models.DesiredUser,
    live: list[models.LiveMethod],
    policy: models.Policy = POLICY,
) -> plans.UserPlan:
    return planning.plan_user(desired, live, policy)


def test_masked_phone_and_email_in_sync_give_no_action() -> None:
    desired = b.user(
        b.phone("+44207183875044", "Work phone"), b.email("chuck334@example.com", "Mail")
    )
    live = [
        b.live_phone("phone|dev_1", "XXXXXXXXXXX5044", "Work phone"),
        b.live_email("email|dev_1", "chuc****@exam*******", "Mail"),
    ]
    result = plan(desired, live)
    assert outline(result) == []
    assert result.error is None
    assert result.changed is False
    assert result.remaining_count == 2


def test_two_live_phones_keep_the_declared_one_and_delete_the_other() -> None:
    desired = b.user(b.phone("+14155550123", "Work"))
    live = [
        b.live_phone("phone|dev_a", "XXXXXXXX9999", "Old"),
        b.live_phone("phone|dev_b", "XXXXXXXX0123", "Work"),
    ]
    assert outline(plan(desired, live)) == [("delete", "phone", "Old", "phone|dev_a")]


def test_totp_rename_is_a_patch_found_by_elimination() -> None:
    desired = b.user(b.totp("Authenticator"))
    live = [b.live("totp|dev_1", "totp", "Google Auth")]
    result = plan(desired, live)
    assert outline(result) == [("patch", "totp", "Authenticator", "totp|dev_1")]
    assert result.actions[0].changes == (
        plans.FieldChange(field="name", old="Google Auth", new="Authenticator"),
    )
    assert result.actions[0].request_body() == {"name": "Authenticator"}


def test_totp_matches_by_name_before_elimination() -> None:
    desired = b.user(b.totp("Phone app"), b.totp("Backup app"))
    live = [
        b.live("totp|dev_1", "totp", "Backup app"),
        b.live("totp|dev_2", "totp", "Phone app"),
    ]
    assert outline(plan(desired, live)) == []


def test_totp_elimination_needs_exactly_one_unmatched_on_each_side() -> None:
    desired = b.user(b.totp("New"), b.totp("Other"))
    live = [b.live("totp|dev_1", "totp", "Old")]
    assert outline(plan(desired, live, models.Policy(allow_replace=False))) == [
        ("create", "totp", "New", ""),
        ("create", "totp", "Other", ""),
        ("delete", "totp", "Old", "totp|dev_1"),
    ]


def test_reseed_recreates_the_users_totp_make_before_break() -> None:
    desired = b.user(b.totp("Authenticator"), prune="none")
    live = [b.live("totp|dev_1", "totp", "Authenticator")]
    policy = models.Policy(reseed_totp=frozenset({"auth0|alice"}), allow_replace=False)
    assert outline(plan(desired, live, policy)) == [
        ("create", "totp", "Authenticator", ""),
        ("delete", "totp", "Authenticator", "totp|dev_1"),
    ]
    assert outline(plan(desired, live)) == []  # without --reseed nothing changes


def test_reseed_of_a_user_with_only_that_totp_is_one_put() -> None:
    desired = b.user(b.totp("Authenticator"))
    live = [b.live("totp|dev_1", "totp", "Authenticator")]
    policy = models.Policy(reseed_totp=frozenset({"auth0|alice"}))
    assert outline(plan(desired, live, policy)) == [
        ("replace", "all", None, '+ totp "Authenticator"')
    ]


def test_changed_number_is_create_new_then_delete_old() -> None:
    desired = b.user(b.phone("+14155550199", "Work"))
    live = [b.live_phone("phone|dev_1", "XXXXXXXX0123", "Work")]
    assert outline(plan(desired, live, models.Policy(allow_replace=False))) == [
        ("create", "phone", "Work", "(...0199)"),
        ("delete", "phone", "Work", "phone|dev_1"),
    ]


def test_delete_is_ordered_after_patch_and_create_for_same_user() -> None:
    desired = b.user(b.phone("+14155550123", "Work phone"), b.totp("Authenticator"))
    live = [
        b.live_phone("phone|dev_old", "XXXXXXXX9999", "Old phone"),
        b.live_phone("phone|dev_work", "XXXXXXXX0123", "SMS"),
    ]
    result = plan(desired, live, models.Policy(allow_replace=False))
    assert outline(result) == [
        ("create", "totp", "Authenticator", ""),
        ("patch", "phone", "Work phone", "phone|dev_work"),
        ("delete", "phone", "Old phone", "phone|dev_old"),
    ]
    assert result.remaining_count == 2


def test_migration_of_a_user_without_methods_is_one_put() -> None:
    desired = b.user(b.phone("+14155554567"), b.totp("Authenticator"))
    result = plan(desired, [])
    assert outline(result) == [
        ("replace", "all", None, '+ phone (...4567), + totp "Authenticator"'),
    ]
    assert result.actions[0].http_method == "PUT"
    assert result.actions[0].request_body() == [
        {"type": "phone", "phone_number": "+14155554567", "preferred_authentication_method": "sms"},
        {"type": "totp", "name": "Authenticator", "totp_secret": b.SEED},
    ]
    assert result.remaining_count == 2


def test_single_desired_method_is_one_post_not_a_put() -> None:
    result = plan(b.user(b.email("alice@example.com")), [])
    assert outline(result) == [("create", "email", None, "(al***@exam*******)")]
    assert result.actions[0].http_method == "POST"


@pytest.mark.parametrize(
    "blocking_type",
    ["push", "recovery-code", "webauthn-roaming", "webauthn-platform", "passkey", "holo-key"],
)
def test_put_is_refused_when_the_user_has_a_method_put_cannot_recreate(
    blocking_type: str,
) -> None:
    desired = b.user(b.phone("+14155554567"), b.totp("Authenticator"), prune="none")
    live = [b.live(f"{blocking_type}|dev_1", blocking_type, "Kept")]
    assert outline(plan(desired, live)) == [
        ("create", "phone", None, "(...4567)"),
        ("create", "totp", "Authenticator", ""),
    ]


def test_put_is_refused_when_not_strictly_fewer_requests() -> None:
    desired = b.user(b.phone("+14155550123", "Work"), b.email("alice@example.com"))
    live = [b.live_phone("phone|dev_1", "XXXXXXXX0123", "Work")]
    # one create is one request: a PUT would not save anything
    assert outline(plan(desired, live)) == [("create", "email", None, "(al***@exam*******)")]


def test_put_is_refused_when_the_policy_disallows_it() -> None:
    desired = b.user(b.phone("+14155554567"), b.totp("Authenticator"))
    result = plan(desired, [], models.Policy(allow_replace=False))
    assert [a.op.value for a in result.actions] == ["create", "create"]


def test_put_is_refused_over_a_kept_totp_whose_seed_cannot_be_read() -> None:
    desired = b.user(b.totp("Authenticator"), b.phone("+14155554567"), b.email("a@example.com"))
    live = [b.live("totp|dev_1", "totp", "Authenticator")]
    assert [a.op.value for a in plan(desired, live).actions] == ["create", "create"]


def test_put_is_refused_over_an_unmatched_method_kept_by_prune_none() -> None:
    desired = b.user(b.phone("+14155554567"), b.totp("Authenticator"), prune="none")
    live = [b.live_phone("phone|dev_1", "XXXXXXXX9999", "Other")]
    assert [a.op.value for a in plan(desired, live).actions] == ["create", "create"]


def test_put_keeps_a_matched_phone_with_its_live_name_and_replaces_the_rest() -> None:
    desired = b.user(b.phone("+14155550123", preferred=None), b.totp("App"), b.email("a@b.io"))
    live = [
        b.live_phone("phone|dev_1", "XXXXXXXX0123", "Desk", preferred="voice"),
        b.live_email("email|dev_1", "old@exam*******"),
    ]
    result = plan(desired, live)
    assert [a.op.value for a in result.actions] == ["replace"]
    assert result.actions[0].redacted_body() == [
        {
            "type": "phone",
            "name": "Desk",
            "phone_number": "...0123",
            "preferred_authentication_method": "voice",
        },
        {"type": "totp", "name": "App", "totp_secret": "<redacted>"},
        {"type": "email", "email": "****@b.**"},
    ]
    assert [m.id for m in result.actions[0].replaced] == ["email|dev_1", "phone|dev_1"]
    assert result.deletes is True


def test_prune_none_deletes_nothing() -> None:
    desired = b.user(b.phone("+14155550123"), prune="none")
    live = [
        b.live_phone("phone|dev_1", "XXXXXXXX0123"),
        b.live_phone("phone|dev_2", "XXXXXXXX9999"),
        b.live("totp|dev_1", "totp", "Stray"),
    ]
    assert outline(plan(desired, live)) == []


def test_ignored_fields_are_never_patched() -> None:
    desired = b.user(
        b.phone("+14155550123", "Work", preferred="voice"),
        ignore=("name", "preferred_authentication_method"),
    )
    live = [b.live_phone("phone|dev_1", "XXXXXXXX0123", "Something else", preferred="sms")]
    assert outline(plan(desired, live)) == []


def test_preferred_method_is_patched_on_phones_only_when_it_differs() -> None:
    desired = b.user(b.phone("+14155550123", preferred="voice"), b.phone("+14155550124"))
    live = [
        b.live_phone("phone|dev_1", "XXXXXXXX0123", preferred="sms"),
        b.live_phone("phone|dev_2", "XXXXXXXX0124", preferred=None),  # unreported: the default
    ]
    result = plan(desired, live)
    assert outline(result) == [("patch", "phone", None, "phone|dev_1")]
    assert result.actions[0].request_body() == {"preferred_authentication_method": "voice"}


def test_desired_name_none_means_dont_care() -> None:
    desired = b.user(b.email("chuck334@example.com"))
    live = [b.live_email("email|dev_1", "chuc****@exam*******", "Anything")]
    assert outline(plan(desired, live)) == []


def test_pinned_method_is_kept_as_it_is() -> None:
    desired = b.user(b.pinned("phone|dev_1", "phone"))
    live = [b.live_phone("phone|dev_1", "XXXXXXXX0123", "SMS")]
    assert outline(plan(desired, live)) == []


def test_pinned_method_may_be_renamed() -> None:
    desired = b.user(b.pinned("totp|dev_1", "totp", "Renamed"))
    live = [b.live("totp|dev_1", "totp", "Old name")]
    assert outline(plan(desired, live)) == [("patch", "totp", "Renamed", "totp|dev_1")]


def test_pinned_method_that_is_gone_makes_the_user_an_error() -> None:
    desired = b.user(b.pinned("phone|dev_gone", "phone"), b.totp("App"))
    live = [b.live("totp|dev_1", "totp", "App")]
    result = plan(desired, live)
    assert outline(result) == []
    assert result.error == (
        "pinned phone method phone|dev_gone no longer exists; it cannot be re-created without "
        "its value: declare the method by value, or remove the pin"
    )


def test_pinned_methods_block_a_put() -> None:
    desired = b.user(b.pinned("phone|dev_1", "phone"), b.totp("A"), b.totp("B"))
    live = [b.live_phone("phone|dev_1", "XXXXXXXX0123")]
    assert [a.op.value for a in plan(desired, live).actions] == ["create", "create"]


def test_unknown_and_unmanaged_live_types_are_never_touched() -> None:
    desired = b.user()  # methods: []
    live = [
        b.live("holo|dev_1", "holo-key", "Future"),
        b.live("push|dev_1", "push", "Guardian"),
        b.live("recovery-code|dev_1", "recovery-code"),
        b.live("totp|dev_1", "totp", "App"),
    ]
    result = plan(desired, live)
    assert outline(result) == [("delete", "totp", "App", "totp|dev_1")]
    assert [m.id for m in result.unmanaged] == ["holo|dev_1", "push|dev_1", "recovery-code|dev_1"]
    assert result.remaining_count == 3


def test_one_live_method_is_never_matched_twice() -> None:
    desired = b.user(b.phone("+14155550123", "A"), b.phone("+14155550123", "B"))
    live = [b.live_phone("phone|dev_1", "XXXXXXXX0123", "B")]
    result = plan(desired, live)
    # same name preferred: B keeps the live one, A is created
    assert outline(result) == [("create", "phone", "A", "(...0123)")]


def test_matching_is_maximal_not_greedy() -> None:
    # the first desired number fits both live numbers, the second only the first live one
    desired = b.user(b.phone("+14155550123"), b.phone("+33155550123"))
    live = [
        b.live_phone("phone|dev_1", "XXXXXXXX0123"),
        b.live_phone("phone|dev_2", "+1415XXX0123"),
    ]
    assert outline(plan(desired, live)) == []


def test_webauthn_keys_match_by_key_id() -> None:
    desired = b.user(b.key("key-one-1234567890", "YubiKey"), b.key("key-two", "Spare"))
    live = [
        b.live("webauthn-roaming|dev_1", "webauthn-roaming", "Old", key_id="key-one-1234567890"),
        b.live("webauthn-roaming|dev_2", "webauthn-roaming", "Spare", key_id="key-gone"),
    ]
    assert outline(plan(desired, live)) == [
        ("create", "webauthn-roaming", "Spare", "(key key-two)"),
        ("patch", "webauthn-roaming", "YubiKey", "webauthn-roaming|dev_1"),
        ("delete", "webauthn-roaming", "Spare", "webauthn-roaming|dev_2"),
    ]


def test_unresolved_secret_makes_an_error_plan_when_the_totp_must_be_created() -> None:
    desired = b.user(
        b.totp("App", seed=None, reference="${env:ALICE_TOTP}", problem="variable is not set")
    )
    result = plan(desired, [])
    assert result.actions == ()
    assert (
        result.error
        == 'totp "App": secret ${env:ALICE_TOTP} cannot be resolved: variable is not set'
    )


def test_unresolved_secret_is_no_error_when_the_totp_already_exists() -> None:
    desired = b.user(b.totp("App", seed=None, reference="${env:ALICE_TOTP}", problem="unset"))
    result = plan(desired, [b.live("totp|dev_1", "totp", "App")])
    assert result.error is None
    assert outline(result) == []


def test_email_user_gets_the_resolved_user_id() -> None:
    desired = models.DesiredUser(email="alice@example.com", methods=(b.totp("App"),))
    result = planning.plan_user(desired, [], POLICY, user_id="auth0|123")
    assert (result.key, result.user_id) == ("email:alice@example.com", "auth0|123")


def test_same_input_gives_byte_identical_output_whatever_the_listing_order() -> None:
    desired = b.user(b.phone("+14155550123", "Work"), b.totp("App"), b.email("a@example.com"))
    live = [
        b.live_phone("phone|dev_2", "XXXXXXXX9999", "Old"),
        b.live_phone("phone|dev_1", "XXXXXXXX0123", "SMS"),
        b.live("push|dev_1", "push"),
    ]
    documents = [
        json.dumps(plans.to_document(plans.Plan(users=(plan(desired, order),))), sort_keys=True)
        for order in (live, list(reversed(live)), live)
    ]
    digests = {plan(desired, order).action_digest() for order in (live, list(reversed(live)))}
    assert documents[0] == documents[1] == documents[2]
    assert len(digests) == 1
