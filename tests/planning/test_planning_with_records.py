"""Claims about planning with the state's records (DESIGN.md section 2, "With a state").

Pure: records and desired fingerprints are inputs, built here as the state would build them.
"""

from __future__ import annotations

import datetime

from mfasync import models, planning, plans, records
from tests.planning import builders as b

KEY = plans.Fingerprinter(b"k" * 32)
T0 = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
POLICY = models.Policy(allow_replace=False)
CHANGED = "value changed since mfasync wrote it"


def record(
    method_id: str,
    kind: str,
    *,
    origin: str = "created",
    value: models.DesiredMethod | None = None,
    user_id: str = "auth0|alice",
) -> records.MethodRecord:
    return records.MethodRecord(
        user_id=user_id,
        method_id=method_id,
        type=kind,
        origin=records.MethodOrigin(origin),
        fingerprint=KEY.method(value) if value is not None else None,
        first_seen=T0,
        last_seen=T0,
    )


def knowing(user: models.DesiredUser, *known: records.MethodRecord) -> records.Knowledge:
    return records.Knowledge(
        records={item.method_id: item for item in known},
        fingerprints=tuple(KEY.method(method) for method in user.methods),
    )


def ops(user_plan: plans.UserPlan) -> list[tuple[str, str | None, str | None]]:
    return [(a.op.value, a.method_id, a.reason) for a in user_plan.actions]


def test_a_phone_changed_to_one_with_the_same_last_four_digits_is_replaced() -> None:
    old, new = b.phone("+16505000000"), b.phone("+16506000000")
    user = b.user(new)
    live = [b.live_phone("phone|1", "+1650XXX0000")]  # the mask fits both numbers
    assert not planning.plan_user(user, live, POLICY).changed  # masks alone cannot see it
    planned = planning.plan_user(
        user, live, POLICY, known=knowing(user, record("phone|1", "phone", value=old))
    )
    # make before break: the new number first, then the old one goes
    assert ops(planned) == [("create", None, CHANGED), ("delete", "phone|1", CHANGED)]


def test_a_rotated_totp_seed_is_reseeded_without_being_asked() -> None:
    user = b.user(b.totp("App", seed=b.OTHER_SEED))
    live = [b.live("totp|1", "totp", "App")]
    was = b.totp("App", seed=b.SEED)
    planned = planning.plan_user(
        user, live, POLICY, known=knowing(user, record("totp|1", "totp", value=was))
    )
    assert ops(planned) == [("create", None, CHANGED), ("delete", "totp|1", CHANGED)]


def test_a_recorded_value_equal_to_the_manifest_plans_nothing() -> None:
    phone = b.phone("+16505000000")
    user = b.user(phone)
    live = [b.live_phone("phone|1", "+1650XXX0000")]
    planned = planning.plan_user(
        user, live, POLICY, known=knowing(user, record("phone|1", "phone", value=phone))
    )
    assert ops(planned) == []


def test_two_live_phones_that_fit_one_mask_are_told_apart_by_their_records() -> None:
    first = b.phone("+16505000000", preferred="voice")
    second = b.phone("+16506000000", preferred="sms")
    user = b.user(first, second, prune="none")
    live = [
        b.live_phone("phone|1", "+1650XXX0000", preferred="voice"),  # holds the first number
        b.live_phone("phone|2", "+1650XXX0000", preferred="sms"),  # holds the second
    ]
    # by masks alone, each is paired with the other's number: two patches
    assert [a.op.value for a in planning.plan_user(user, live, POLICY).actions] == [
        "patch",
        "patch",
    ]
    planned = planning.plan_user(
        user,
        live,
        POLICY,
        known=knowing(
            user,
            record("phone|1", "phone", value=first),
            record("phone|2", "phone", value=second),
        ),
    )
    assert ops(planned) == []  # each matched to its own record: nothing to change


def test_prune_owned_deletes_what_mfasync_created_and_keeps_what_the_user_enrolled() -> None:
    kept = b.phone("+14155550123")
    user = b.user(kept, prune="owned")
    live = [
        b.live_phone("phone|1", "+1415XXX0123"),
        b.live("totp|mine", "totp", "Old app"),  # created by mfasync, since undeclared
        b.live("totp|theirs", "totp", "Own app"),  # enrolled by the user in Universal Login
        b.live_email("email|seen", "a***@example.com"),  # listed, never declared
    ]
    planned = planning.plan_user(
        user,
        live,
        POLICY,
        known=knowing(
            user,
            record("phone|1", "phone", value=kept),
            record("totp|mine", "totp", value=b.totp("Old app")),
            record("email|seen", "email", origin="seen"),
        ),
    )
    assert ops(planned) == [("delete", "totp|mine", None)]
    assert sorted(method.id for method in planned.outside) == ["email|seen", "totp|theirs"]


def test_prune_owned_without_a_state_deletes_nothing() -> None:
    user = b.user(b.phone("+14155550123"), prune="owned")
    live = [b.live_phone("phone|1", "+1415XXX0123"), b.live("totp|1", "totp", "App")]
    planned = planning.plan_user(user, live, POLICY)
    assert ops(planned) == []
    assert [method.id for method in planned.outside] == ["totp|1"]


def test_an_empty_state_plans_exactly_as_no_state() -> None:
    user = b.user(b.phone("+14155550123", "Work"), b.totp("App"))
    live = [b.live_phone("phone|1", "+1415XXX0123", "Old"), b.live("push|1", "push-notification")]
    empty = records.Knowledge(records={}, fingerprints=(None, None))
    with_empty = planning.plan_user(user, live, POLICY, known=empty)
    without = planning.plan_user(user, live, POLICY)
    assert with_empty.actions == without.actions
    assert with_empty.outside == without.outside


def test_matched_methods_without_a_record_are_offered_for_adoption() -> None:
    phone = b.phone("+14155550123")
    user = b.user(phone)
    live = [b.live_phone("phone|1", "+1415XXX0123")]
    known = records.Knowledge(records={}, fingerprints=(KEY.method(phone),))
    planned = planning.plan_user(user, live, POLICY, known=known)
    assert planned.adoptions == (("phone|1", KEY.method(phone)),)
    # a method the state already holds as created is not adopted again
    owned = planning.plan_user(
        user, live, POLICY, known=knowing(user, record("phone|1", "phone", value=phone))
    )
    assert owned.adoptions == ()


def test_a_pinned_method_is_never_replaced_by_its_record() -> None:
    user = b.user(b.pinned("phone|1", "phone"))
    live = [b.live_phone("phone|1", "+1415XXX0123")]
    known = records.Knowledge(
        records={"phone|1": record("phone|1", "phone", value=b.phone("+14155550999"))},
        fingerprints=(None,),
    )
    assert ops(planning.plan_user(user, live, POLICY, known=known)) == []


def test_drift_reports_a_changed_value_and_what_was_enrolled_outside_mfasync() -> None:
    from mfasync import drift, rendering

    old, new = b.phone("+16505000000"), b.phone("+16506000000")
    user = b.user(new, prune="owned")
    live = [b.live_phone("phone|1", "+1650XXX0000"), b.live("totp|theirs", "totp", "Own")]
    planned = planning.plan_user(
        user, live, POLICY, known=knowing(user, record("phone|1", "phone", value=old))
    )
    report = drift.from_plan(plans.Plan(users=(planned,)))
    summary = report.summary
    assert (summary.changed, summary.missing, summary.outside, summary.drifted) == (1, 0, 1, 1)
    text = rendering.drift.render_text(report)
    assert "value changed since mfasync wrote it (known from the state)" in text
    assert "enrolled outside mfasync" in text


def test_a_method_mfasync_wrote_that_is_gone_is_created_again_saying_so() -> None:
    phone = b.phone("+14155550123")
    user = b.user(phone)
    planned = planning.plan_user(
        user, [], POLICY, known=knowing(user, record("phone|gone", "phone", value=phone))
    )
    assert ops(planned) == [("create", None, "mfasync wrote it, now gone")]
