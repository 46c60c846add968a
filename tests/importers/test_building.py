"""Pure rules of `importers.building`: secret keys, merging, ordering."""

from __future__ import annotations

from mfasync import models
from mfasync.importers import building, records


def _totp(user_id: str, line: int, seed: str = "JBSWY3DPEHPK3PXP") -> records.RawFactor:
    return records.RawFactor(
        records.Where(line=line), records.UserRef(user_id=user_id), records.Kind.TOTP, seed
    )


def test_secret_key_base_is_lower_case_letters_digits_and_single_underscores() -> None:
    assert building.secret_key_base("auth0|Alice.B--x") == "auth0_alice_b_x"
    assert building.secret_key_base("email:bob@example.com") == "email_bob_example_com"
    assert building.secret_key_base("|||") == "user"


def test_colliding_secret_keys_get_numbered_in_sorted_user_order() -> None:
    parsed = records.Parsed(
        factors=(
            _totp("auth0|alice", 1),
            _totp("auth0|Alice", 2, "GEZDGNBVGY3TQOJQ"),
            _totp("auth0|alice", 3, "MFRGGZDFMZTWQ2LK"),
        )
    )
    result = building.build(parsed)
    assert [key for key, _ in result.secrets] == [
        "auth0_alice_2_totp",
        "auth0_alice_2_totp_2",
        "auth0_alice_totp",
    ]
    refs = [
        [m.totp_secret.reference for m in user.methods if m.totp_secret is not None]
        for user in result.users
    ]
    assert refs == [
        ["${file:.secrets.yaml#auth0_alice_totp}"],
        ["${file:.secrets.yaml#auth0_alice_2_totp}", "${file:.secrets.yaml#auth0_alice_2_totp_2}"],
    ]


def test_users_are_sorted_by_key_whatever_the_input_order() -> None:
    parsed = records.Parsed(factors=(_totp("auth0|c", 1), _totp("auth0|a", 2), _totp("auth0|b", 3)))
    assert [u.key for u in building.build(parsed).users] == ["auth0|a", "auth0|b", "auth0|c"]


def test_totp_methods_hold_a_reference_and_no_value() -> None:
    user = building.build(records.Parsed(factors=(_totp("auth0|a", 1),))).users[0]
    assert user.methods[0].totp_secret == models.SecretSource(
        reference="${file:.secrets.yaml#auth0_a_totp}"
    )


def test_result_repr_shows_no_seed() -> None:
    result = building.build(records.Parsed(factors=(_totp("auth0|a", 1),)))
    assert "JBSWY3DPEHPK3PXP" not in repr(result)


def test_rejections_are_sorted_by_place() -> None:
    parsed = records.Parsed(
        factors=(_totp("auth0|a", 7, "bad!"),),
        rejections=(records.Rejection(records.Where(line=9), None, "x"),),
    )
    assert [str(r.where) for r in building.build(parsed).rejections] == ["line 7", "line 9"]
