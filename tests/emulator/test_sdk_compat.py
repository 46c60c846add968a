"""The official auth0-python SDK (a test dependency) works against the emulator.

`Auth0(base_url=..., token=...)` points the generated Management client at any base URL; the
authentication client's `protocol="http"` does the same for /oauth/token. Retries are off: the
SDK retries 409 and 5xx by default, which would only slow these tests down.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth0.authentication import GetToken
from auth0.management import Auth0
from auth0.management import errors as sdk_errors

from mfasync import emulator
from tests.emulator.conftest import SEED


@pytest.fixture
def running() -> Iterator[emulator.Emulator]:
    tenant = emulator.seed_mapping(emulator.State(random_seed=11), SEED)
    with emulator.run_in_thread(emulator.Config(), tenant) as emu:
        yield emu


@pytest.fixture
def sdk(running: emulator.Emulator) -> Auth0:
    host = running.url.removeprefix("http://")
    answer = GetToken(
        host, running.client_id, running.client_secret, protocol="http"
    ).client_credentials(running.audience)
    return Auth0(base_url=running.api_url, token=answer["access_token"], max_retries=0)


def test_sdk_lists_masked_values(sdk: Auth0) -> None:
    methods = list(sdk.users.authentication_methods.list("auth0|alice"))
    assert [m.type for m in methods] == ["phone", "email", "totp"]
    assert methods[0].phone_number == "XXXXXXXXXXX5044"
    assert methods[1].email == "chuc****@exam*******"


def test_sdk_create_get_update_delete_round_trip(sdk: Auth0, running: emulator.Emulator) -> None:
    methods = sdk.users.authentication_methods
    created = methods.create("auth0|dave", type="phone", phone_number="+14155550100", name="SMS")
    assert created.id is not None
    assert created.id.startswith("phone|dev_")
    fetched = methods.get("auth0|dave", created.id)
    assert fetched.phone_number == "XXXXXXXX0100"
    updated = methods.update("auth0|dave", created.id, name="Mobile")
    assert updated.name == "Mobile"
    assert methods.delete("auth0|dave", created.id) is None
    assert running.state.methods_of("auth0|dave") == []
    route = "/api/v2/users/{user_id}/authentication-methods"
    snapshot = running.stats.snapshot()
    assert snapshot[("POST", route, 201)] == 1
    assert snapshot[("DELETE", route + "/{method_id}", 204)] == 1


def test_sdk_sees_a_conflict_on_a_duplicate(sdk: Auth0) -> None:
    with pytest.raises(sdk_errors.ConflictError) as caught:
        sdk.users.authentication_methods.create(
            "auth0|alice", type="phone", phone_number="+44207183875044"
        )
    assert caught.value.status_code == 409


def test_sdk_set_replaces_and_is_forbidden_for_a_passkey_user(
    sdk: Auth0, running: emulator.Emulator
) -> None:
    items = [{"type": "phone", "phone_number": "+14155550123"}]
    replaced = sdk.users.authentication_methods.set("auth0|bob", request=items)
    assert [m.phone_number for m in replaced] == ["+14155550123"]
    assert [m["type"] for m in running.state.methods_of("auth0|bob")] == ["phone"]
    with pytest.raises(sdk_errors.ForbiddenError) as caught:
        sdk.users.authentication_methods.set("auth0|carol", request=items)
    assert caught.value.status_code == 403


def test_sdk_delete_all_succeeds(sdk: Auth0, running: emulator.Emulator) -> None:
    assert sdk.users.authentication_methods.delete_all("auth0|alice") is None
    assert running.state.methods_of("auth0|alice") == []


def test_sdk_sees_404_for_an_unknown_user(sdk: Auth0) -> None:
    with pytest.raises(sdk_errors.NotFoundError) as caught:
        list(sdk.users.authentication_methods.list("auth0|nobody"))
    assert caught.value.body["errorCode"] == "inexistent_user"


RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def test_sdk_sees_the_rate_limit_headers_on_every_answer(sdk: Auth0) -> None:
    # A default emulator has no configured limit; the service always sends the headers anyway.
    raw = sdk.users.authentication_methods.with_raw_response
    methods = list(sdk.users.authentication_methods.list("auth0|alice"))
    answers = [raw.get("auth0|alice", str(methods[0].id)).headers]
    answers.append(raw.update("auth0|alice", str(methods[0].id), name="Work").headers)
    for user_id in ("auth0|nobody", "auth0|alice"):
        with pytest.raises(sdk_errors.NotFoundError) as missing:
            raw.get(user_id, "x")
        answers.append(dict(missing.value.headers or {}))
    for headers in answers:
        assert all(name in headers for name in RATE_HEADERS), headers
        assert int(headers["x-ratelimit-limit"]) >= 1000
