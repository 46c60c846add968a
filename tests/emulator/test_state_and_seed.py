"""The tenant store: seeding (YAML, JSON, mapping, bulk), determinism, and the ordering record."""

from __future__ import annotations

import json
import pathlib

import pytest

from mfasync import emulator

YAML_SEED = """\
users:
  - user_id: "auth0|alice"
    email: alice@example.com
    methods:
      - {type: phone, name: SMS, phone_number: "+14155550123"}
      - {type: push, name: Guardian}
"""


def test_yaml_seed_keeps_values_unmasked_and_any_type(tmp_path: pathlib.Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(YAML_SEED, encoding="utf-8")
    tenant = emulator.load_seed_file(seed)
    methods = tenant.methods_of("auth0|alice")
    assert [(m["type"], m["name"]) for m in methods] == [("phone", "SMS"), ("push", "Guardian")]
    assert methods[0]["phone_number"] == "+14155550123"
    assert methods[0]["id"].startswith("phone|dev_")


def test_json_seed_loads_into_a_given_state(tmp_path: pathlib.Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [{"user_id": "auth0|x", "methods": []}]}))
    tenant = emulator.State()
    assert emulator.load_seed_file(seed, tenant=tenant) is tenant
    assert tenant.user_ids() == ["auth0|x"]


def test_seed_problems_name_the_place(tmp_path: pathlib.Path) -> None:
    seed = tmp_path / "bad.yaml"
    seed.write_text("users:\n  - email: nobody@example.com\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"users\[0\]: each user needs a string user_id"):
        emulator.load_seed_file(seed)


def test_ids_are_reproducible_for_the_same_random_seed() -> None:
    def ids() -> list[str]:
        tenant = emulator.State(random_seed=3)
        tenant.add_user("auth0|a", methods=[{"type": "totp"}, {"type": "phone"}])
        return [m["id"] for m in tenant.methods_of("auth0|a")]

    assert ids() == ids()
    assert ids()[0].startswith("totp|dev_")


def test_bulk_users_get_distinct_values_from_their_index() -> None:
    tenant = emulator.State()
    user_ids = emulator.add_bulk_users(tenant, 3, start=5)
    assert user_ids == ["auth0|bulk000005", "auth0|bulk000006", "auth0|bulk000007"]
    assert tenant.methods_of("auth0|bulk000006")[0]["phone_number"] == "+14150000006"


def test_bulk_creates_one_hundred_thousand_users() -> None:
    tenant = emulator.State()
    emulator.add_bulk_users(tenant, 100_000)
    assert len(tenant.user_ids()) == 100_000


def test_user_emptied_after_having_methods_is_recorded() -> None:
    tenant = emulator.State()
    tenant.add_user("auth0|a", methods=[{"type": "phone", "phone_number": "+1"}])
    tenant.add_user("auth0|b")
    method_id = tenant.methods_of("auth0|a")[0]["id"]
    tenant.delete_method("auth0|a", method_id)
    tenant.add_method("auth0|b", {"type": "email", "email": "b@example.com"})
    assert tenant.users_emptied_after_having() == {"auth0|a"}
    tenant.reset_history()
    assert tenant.users_emptied_after_having() == set()


def test_put_swaps_methods_without_passing_through_empty() -> None:
    tenant = emulator.State()
    tenant.add_user("auth0|a", methods=[{"type": "push"}])
    tenant.replace_methods("auth0|a", [{"type": "phone", "phone_number": "+14155550123"}])
    assert tenant.users_emptied_after_having() == set()
    assert [m["type"] for m in tenant.methods_of("auth0|a")] == ["phone"]


def test_state_repr_shows_no_personal_data() -> None:
    tenant = emulator.State()
    tenant.add_user(
        "auth0|a", email="a@example.com", methods=[{"type": "totp", "totp_secret": "ABC"}]
    )
    assert repr(tenant) == "State(users=1)"


def test_config_repr_hides_the_client_secret_and_static_tokens() -> None:
    config = emulator.Config(client_secret="hunter22", static_tokens={"tok-123": ()})
    assert "hunter22" not in repr(config)
    assert "tok-123" not in repr(config)
