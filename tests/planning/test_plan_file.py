"""The saved plan file: round trip, mode 0600, atomic write, nothing secret in it, clear errors."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from mfasync import errors, models, planning, plans
from tests.planning import builders as b
from tests.planning import sample


def test_plan_file_round_trip_keeps_what_apply_needs(tmp_path: Path) -> None:
    plan = sample.design_plan(with_errors=True, unchanged=1)
    path = tmp_path / "plan.json"
    plans.write_plan_file(path, plan, manifest_files=["manifests/a.yaml", "manifests/b.yaml"])
    saved = plans.read_plan_file(path)
    assert saved.manifest_files == ("manifests/a.yaml", "manifests/b.yaml")
    assert saved.summary == plan.summary.as_dict()
    by_key = {user.key: user for user in plan.users}
    alice = saved.users["auth0|alice"]
    assert alice.user_id == "auth0|alice"
    assert alice.live_fingerprint == by_key["auth0|alice"].live_fingerprint
    assert alice.action_digest == by_key["auth0|alice"].action_digest()
    assert [action["op"] for action in alice.actions] == ["create", "patch", "delete"]
    assert saved.users["auth0|carol"].error is not None
    # without a state an email key is stored by the id it resolved to: no address, no bare
    # hash of one (anyone could hash a guess); apply finds it by resolving the address again
    dave = saved.users.find("email:dave.smith@example.com", user_id="auth0|dave")
    assert dave is not None
    assert dave.user_id == "auth0|dave"
    assert dave.key == "email-of:auth0|dave"
    assert saved.users.keyed_by_resolved_ids
    assert saved.users.find("email:dave.smith@example.com", user_id="auth0|other") is None
    text = path.read_text(encoding="utf-8")
    assert "dave.smith@example.com" not in text
    assert (
        hashlib.sha256(b"mfasync/v1\0\0email:dave.smith@example.com").hexdigest()[:16] not in text
    )
    assert len(saved.users) == len(plan.users)


def test_plan_file_is_private_from_creation(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plans.write_plan_file(path, sample.design_plan(unchanged=0), manifest_files=[])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp file left behind


def test_plan_file_replaces_an_existing_file_with_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old")
    path.chmod(0o644)
    plans.write_plan_file(path, sample.design_plan(unchanged=0), manifest_files=[])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert plans.read_plan_file(path).manifest_files == ()


KEY = plans.Fingerprinter(b"k" * 32)


@pytest.mark.parametrize("fingerprinter", [plans.NO_KEY, KEY], ids=["stateless", "state"])
def test_plan_file_holds_no_secret_full_phone_number_or_clear_email(
    tmp_path: Path, fingerprinter: plans.Fingerprinter
) -> None:
    path = tmp_path / "plan.json"
    plan = sample.design_plan(with_errors=True)
    plans.write_plan_file(path, plan, manifest_files=["m.yaml"], fingerprinter=fingerprinter)
    text = path.read_text()
    leaked = [value for value in (*sample.SECRETS, *sample.FULL_VALUES) if value in text]
    assert leaked == []
    assert "${env:TOTP_SEED}" in text  # the reference is kept


def test_a_stateless_plan_file_holds_no_value_fingerprint(tmp_path: Path) -> None:
    # an unkeyed hash of a phone number is brute-forced back to the number in well under a second
    path = tmp_path / "plan.json"
    plans.write_plan_file(path, sample.design_plan(), manifest_files=[])
    document = json.loads(path.read_text())
    methods = [
        action["method"]
        for user in document["users"]
        for action in user["actions"]
        if "method" in action
    ]
    assert methods
    assert all("fingerprints" not in method for method in methods)
    assert document["state_key_id"] is None


def test_plan_file_fingerprints_are_keyed_by_the_state(tmp_path: Path) -> None:
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    plan = sample.design_plan()
    plans.write_plan_file(first, plan, manifest_files=[], fingerprinter=KEY)
    plans.write_plan_file(
        second, plan, manifest_files=[], fingerprinter=plans.Fingerprinter(b"x" * 32)
    )
    seed = KEY.field("auth0|bob", b.SEED)
    assert seed is not None
    assert seed in first.read_text()  # the seed's keyed fingerprint
    assert seed not in second.read_text()  # another state's key gives another fingerprint


def test_a_plan_saved_with_a_state_is_refused_with_another_state(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plans.write_plan_file(path, sample.design_plan(), manifest_files=[], fingerprinter=KEY)
    assert plans.read_plan_file(path, fingerprinter=KEY).fingerprinter == KEY
    with pytest.raises(errors.PlanFileError, match="saved with another state"):
        plans.read_plan_file(path, fingerprinter=plans.Fingerprinter(b"x" * 32))


def test_plan_file_saves_the_policy_for_the_replan(tmp_path: Path) -> None:
    desired = b.user(b.totp("App"))
    other = b.user(b.totp("App"), user_id="auth0|other")
    policy = models.Policy(reseed_totp=frozenset({"auth0|alice"}), allow_replace=False)
    live = [b.live("totp|dev_1", "totp", "App")]
    plan = plans.Plan(
        users=(planning.plan_user(desired, live, policy), planning.plan_user(other, live, policy))
    )
    path = tmp_path / "plan.json"
    plans.write_plan_file(path, plan, manifest_files=[], policy=policy)
    saved = plans.read_plan_file(path)
    restored = saved.policy_for([desired, other], fallback=models.Policy())
    assert restored == policy
    replanned = planning.plan_user(desired, live, restored)
    assert replanned.action_digest() == saved.users["auth0|alice"].action_digest


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"is not valid JSON \(line 1, column 2\)"),
        ("[]", r"is not a saved mfasync plan"),
        ('{"kind": "mfasync-saved-plan", "format_version": 2}', r"format_version 2"),
        (
            '{"kind": "mfasync-saved-plan", "format_version": 1, "manifest_files": [], '
            '"summary": {}, "users": [{"key": "a"}]}',
            r"damaged at users\.0\.user_id",
        ),
    ],
)
def test_bad_plan_file_is_a_clear_plan_file_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(errors.PlanFileError, match=message):
        plans.read_plan_file(path)


def test_missing_plan_file_is_a_plan_file_error(tmp_path: Path) -> None:
    with pytest.raises(errors.PlanFileError, match="cannot read plan file"):
        plans.read_plan_file(tmp_path / "absent.json")


def test_plan_file_with_a_user_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plans.write_plan_file(path, sample.design_plan(unchanged=0), manifest_files=[])
    document = json.loads(path.read_text())
    document["users"].append(document["users"][0])
    path.write_text(json.dumps(document))
    with pytest.raises(errors.PlanFileError, match="lists a user twice"):
        plans.read_plan_file(path)


def test_a_plan_file_nested_too_deeply_is_a_plan_file_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(errors.PlanFileError, match="nested too deeply"):
        plans.read_plan_file(path)


def test_live_fingerprint_of_a_listing_with_a_repeated_id_is_stable_not_a_crash() -> None:
    first = models.LiveMethod(id="phone|dev_1", type="phone", name=None)
    second = models.LiveMethod(id="phone|dev_1", type="phone", name="SMS")
    assert plans.live_fingerprint([first, second]) == plans.live_fingerprint([second, first])
