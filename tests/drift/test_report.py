"""The drift report built from a plan: categories, verdicts, exit codes and renderings (pure)."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from mfasync import drift, models, plans, rendering

PHONE = "+14155550123"


def _live(method_id: str, kind: str, name: str | None = None, **values: str) -> models.LiveMethod:
    return models.LiveMethod(id=method_id, type=kind, name=name, **values)


def _create_totp() -> plans.Action:
    method = models.DesiredMethod(type=models.MethodType.TOTP, name="App")
    return plans.Action(op=plans.Op.CREATE, type="totp", name="App", method=method)


def _delete_phone() -> plans.Action:
    return plans.Action(
        op=plans.Op.DELETE,
        type="phone",
        name="Old",
        method_id="phone|dev_old",
        display="(...9999)",
    )


def _patch_phone() -> plans.Action:
    return plans.Action(
        op=plans.Op.PATCH,
        type="phone",
        name="Work",
        method_id="phone|dev_work",
        changes=(plans.FieldChange("name", "SMS", "Work"),),
        display="(...0123)",
    )


def _sample_plan() -> plans.Plan:
    return plans.Plan(
        users=(
            plans.UserPlan(
                key="auth0|alice",
                user_id="auth0|alice",
                actions=(_create_totp(), _patch_phone(), _delete_phone()),
                unmanaged=(_live("push|dev_p", "push", "Guardian"),),
            ),
            plans.UserPlan(key="auth0|bob", user_id="auth0|bob"),
            plans.UserPlan(
                key="auth0|carol",
                user_id="auth0|carol",
                actions=(_delete_phone(),),
            ),
        )
    )


def test_plan_actions_map_to_missing_changed_unexpected_and_unmanaged() -> None:
    report = drift.from_plan(_sample_plan())
    alice = report.users[0]
    assert [(f.category.value, f.type, f.drift) for f in alice.findings] == [
        ("missing", "totp", True),
        ("unexpected", "phone", True),
        ("changed", "phone", True),
        ("unmanaged", "push", False),
    ]
    assert alice.findings[2].detail == 'name: "SMS" -> "Work"'


def test_unexpected_methods_of_a_prune_none_user_are_kept_not_drift() -> None:
    report = drift.from_plan(_sample_plan(), keep_unexpected=["auth0|carol"])
    carol = report.users[2]
    assert carol.status is drift.Status.IN_SYNC
    assert carol.findings[0].detail == "kept: prune is none"
    assert report.summary.kept == 1
    assert report.summary.unexpected == 1


def test_unmanaged_methods_alone_are_not_drift() -> None:
    plan = plans.Plan(
        users=(plans.UserPlan(key="auth0|x", unmanaged=(_live("passkey|dev_k", "passkey"),)),)
    )
    report = drift.from_plan(plan)
    assert report.exit_code == 0
    assert report.summary.unmanaged == 1


def test_exit_code_is_2_for_drift_and_1_when_any_user_failed() -> None:
    assert drift.from_plan(_sample_plan()).exit_code == 2
    failed = plans.Plan(
        users=(*_sample_plan().users, plans.error_plan("auth0|zed", "404 The user does not exist."))
    )
    assert drift.from_plan(failed).exit_code == 1
    assert drift.from_plan(plans.Plan(users=(plans.UserPlan(key="a"),))).exit_code == 0


def test_a_replace_reports_the_methods_it_writes_as_missing() -> None:
    phone = models.DesiredMethod(type=models.MethodType.PHONE, name="Desk", phone_number=PHONE)
    replace = plans.Action(op=plans.Op.REPLACE, type="all", methods=(phone,))
    report = drift.from_plan(plans.Plan(users=(plans.UserPlan(key="u", actions=(replace,)),)))
    assert [(f.category.value, f.type, f.display) for f in report.users[0].findings] == [
        ("missing", "phone", "(...0123)")
    ]


def test_text_lists_drifted_users_and_the_summary() -> None:
    text = rendering.drift.render_text(drift.from_plan(_sample_plan()))
    assert text == (
        "auth0|alice: drift\n"
        '  + missing    totp "App"\n'
        '  - unexpected phone "Old" (...9999)\n'
        '  ~ changed    phone "Work" (...0123)  name: "SMS" -> "Work"\n'
        '  = unmanaged  push "Guardian" (push|dev_p)\n'
        "auth0|carol: drift\n"
        '  - unexpected phone "Old" (...9999)\n'
        "Drift: 2 users drifted (1 missing, 2 unexpected, 1 changed), 1 in sync, 0 errors. "
        "Not drift: 1 unmanaged.\n"
    )


def test_json_document_has_status_summary_and_every_user() -> None:
    document = json.loads(rendering.drift.render_json(drift.from_plan(_sample_plan())))
    assert document["status"] == "drift"
    assert document["summary"] == {
        "users": 3,
        "in_sync": 1,
        "drifted": 2,
        "errors": 0,
        "missing": 1,
        "unexpected": 2,
        "changed": 1,
        "kept": 0,
        "unmanaged": 1,
        "outside": 0,  # kept under prune: owned (none here)
    }
    assert [user["status"] for user in document["users"]] == ["drift", "in_sync", "drift"]


def test_markdown_has_a_verdict_and_a_details_block_per_drifted_user() -> None:
    text = rendering.drift.render_markdown(drift.from_plan(_sample_plan()))
    assert "**Drift**: the tenant differs from the manifests." in text
    assert text.count("<details>") == 2
    assert "<summary><code>auth0|alice</code>: 1 missing, 1 unexpected, 1 changed</summary>" in text


def test_junit_has_one_case_per_user_with_failures_and_errors() -> None:
    plan = plans.Plan(users=(*_sample_plan().users, plans.error_plan("auth0|zed", "404 gone")))
    root = ElementTree.fromstring(rendering.drift.render_junit(drift.from_plan(plan)))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "1")
    cases = {case.get("name", ""): case for case in suite.iter("testcase")}
    assert sorted(cases) == ["auth0|alice", "auth0|bob", "auth0|carol", "auth0|zed"]
    failure = cases["auth0|alice"].find("failure")
    assert failure is not None
    assert failure.get("message") == "drift: 1 missing, 1 unexpected, 1 changed"
    assert failure.text == (
        '+ missing    totp "App"\n'
        '- unexpected phone "Old" (...9999)\n'
        '~ changed    phone "Work" (...0123)  name: "SMS" -> "Work"'
    )
    error = cases["auth0|zed"].find("error")
    assert error is not None
    assert error.get("message") == "404 gone"
    assert list(cases["auth0|bob"]) == []


def test_email_keys_are_masked_in_every_rendering() -> None:
    plan = plans.Plan(
        users=(
            plans.UserPlan(
                key="email:alice.smith@example.com",
                user_id="auth0|alice",
                actions=(_create_totp(),),
            ),
        )
    )
    report = drift.from_plan(plan)
    for text in (
        rendering.drift.render_text(report),
        rendering.drift.render_markdown(report),
        rendering.drift.render_json(report),
        rendering.drift.render_junit(report),
    ):
        assert "alice.smith@example.com" not in text
        assert "auth0|alice" in text


def test_renderings_are_byte_identical_for_the_same_plan() -> None:
    first = drift.from_plan(_sample_plan())
    second = drift.from_plan(plans.Plan(users=tuple(reversed(_sample_plan().users))))
    assert rendering.drift.render_junit(first) == rendering.drift.render_junit(second)
    assert rendering.drift.render_json(first) == rendering.drift.render_json(second)
