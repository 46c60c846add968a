"""Claims under fuzzed input: manifests and API answers of any shape end in documented errors.

Hypothesis generates manifests (random structure and values, and raw text) and Management API
answers (malformed or truncated JSON, missing, extra and mistyped fields, unknown method types,
huge bodies, HTML pages from a proxy), served by the test's own server on 127.0.0.1. Whatever
comes, only `mfasync.errors` are raised, never a traceback, and a user whose live data is
malformed is reported while the others are planned.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from mfasync import api, errors, executing, manifests, models
from mfasync import settings as mfsettings
from mfasync.cli.main import cli
from tests.reliability import fakeapi

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # seeded: the same examples on every run
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FAST_RETRY = mfsettings.RetrySettings(
    max_attempts=2, backoff_base_s=0.001, backoff_max_s=0.002, rate_limit_max_wait_s=0.01
)
KNOWN_TYPES = [
    "phone",
    "email",
    "totp",
    "webauthn-roaming",
    "webauthn_roaming",
    "push",
    "guardian",
    "recovery-code",
    "passkey",
    "password",
    "email-verification",
    "webauthn-platform",
    "quantum-token",
    "",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
live_method = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=20) | json_values,
        "type": st.sampled_from(KNOWN_TYPES) | json_values,
        "name": st.text(max_size=30) | json_values,
        "phone_number": st.text(max_size=20) | json_values,
        "email": st.text(max_size=30) | json_values,
        "confirmed": json_values,
        "created_at": json_values,
        "keyId": json_values,
        "authentication_methods": json_values,
        "surprise": json_values,
    },
)
page = st.one_of(
    st.lists(live_method, max_size=4),
    st.fixed_dictionaries(
        {"authenticators": st.lists(live_method, max_size=4) | json_values},
        optional={"total": st.integers(-3, 200) | json_values, "start": json_values},
    ),
    json_values,
)
HTML = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
)


@st.composite
def answers(draw: st.DrawFn, *, statuses: list[int]) -> fakeapi.Answer:
    status = draw(st.sampled_from(statuses))
    kind = draw(st.sampled_from(["json", "truncated", "html", "huge", "bytes", "cut"]))
    text = json.dumps(draw(page)).encode()
    if kind == "truncated":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif kind == "html":
        return fakeapi.Answer(status=status, body=HTML * 3, content_type="text/html")
    elif kind == "huge":
        size = draw(st.sampled_from([300_000, 1_000_000]))
        text = b'{"authenticators": [' + b'{"id": "x", "type": "phone"},' * (size // 30) + b"]}"
        if draw(st.booleans()):
            text = b"x" * size
    elif kind == "bytes":
        text = draw(st.binary(max_size=64))
    return fakeapi.Answer(status=status, body=text, cut=kind == "cut")


malformed = st.one_of(
    st.builds(fakeapi.Answer, status=st.sampled_from([200, 502]), body=st.just(HTML)),
    st.builds(
        fakeapi.Answer,
        body=st.sampled_from(
            [
                b'{"authenticators": "many"}',
                b"[1, 2]",
                b'[{"type": 5}]',
                b"\xff\xfe",
                b'{"authenticators": [{"id": "a"',
                b"null",
                b'[{"id": null, "type": "phone"}]',
            ]
        ),
    ),
    st.builds(fakeapi.Answer, body=st.just(b"[" * 5000), cut=st.booleans()),
)


@pytest.fixture(scope="module")
def fake() -> Iterator[fakeapi.FakeApi]:
    with fakeapi.running() as running:
        yield running


def _connection(url: str) -> mfsettings.ConnectionSettings:
    return mfsettings.ConnectionSettings(domain=url, access_token=SecretStr("fuzz-token"))


async def _list(url: str, user_id: str) -> tuple[models.LiveMethod, ...]:
    async with api.Client(_connection(url)) as client:
        return await client.list_methods(user_id)


@pytest.mark.slow
@FUZZ
@given(answer=answers(statuses=[200, 200, 200, 201, 302, 400, 401, 403, 404, 418, 429, 500, 503]))
def test_any_list_answer_is_methods_or_one_documented_error(
    fake: fakeapi.FakeApi, answer: fakeapi.Answer
) -> None:
    fake.serve("auth0|fuzz", answer)
    try:
        methods = asyncio.run(_list(fake.url, "auth0|fuzz"))
    except errors.ApiError as exc:
        message = str(exc)
        assert "\n" not in message
        assert len(message) <= 600  # a huge body is cut to an excerpt
        return
    assert all(isinstance(method, models.LiveMethod) for method in methods)


def _desired(user_id: str) -> models.DesiredUser:
    phone = models.DesiredMethod(
        type=models.MethodType.PHONE, name="SMS", phone_number="+14155550100"
    )
    return models.DesiredUser(user_id=user_id, methods=(phone,))


class _NoSecrets:
    def resolve_user(self, user: models.DesiredUser) -> models.DesiredUser:
        return user


async def _plan(url: str, user_ids: list[str]) -> dict[str, models.DesiredUser | str | None]:
    run = mfsettings.RunSettings(retry=FAST_RETRY)
    async with api.Client(_connection(url)) as client:
        plan = await executing.plan_users(
            [_desired(user_id) for user_id in user_ids],
            backend=client,
            policy=models.Policy(),
            settings=run,
            resolver=_NoSecrets(),
        )
    return {user.key: user.error for user in plan.users}


@pytest.mark.slow
@settings(FUZZ, max_examples=30)
@given(answer=malformed)
def test_a_user_with_malformed_live_data_is_reported_and_the_others_are_planned(
    fake: fakeapi.FakeApi, answer: fakeapi.Answer
) -> None:
    fake.serve("auth0|bad", answer)
    found = asyncio.run(_plan(fake.url, ["auth0|good1", "auth0|bad", "auth0|good2"]))
    assert found["auth0|good1"] is None
    assert found["auth0|good2"] is None
    assert isinstance(found["auth0|bad"], str)


def test_unknown_method_types_pass_through_and_are_never_deleted(fake: fakeapi.FakeApi) -> None:
    future = {"id": "quantum|dev_1", "type": "quantum-token", "name": "Q", "extra": {"a": 1}}
    fake.serve(
        "auth0|future",
        fakeapi.Answer(body=json.dumps([fakeapi.GOOD_METHOD, future]).encode()),
    )
    methods = asyncio.run(_list(fake.url, "auth0|future"))
    assert [method.type for method in methods] == ["phone", "quantum-token"]
    found = asyncio.run(_plan(fake.url, ["auth0|future"]))
    assert found == {"auth0|future": None}


@pytest.mark.slow
@settings(FUZZ, max_examples=10)
@given(answer=malformed)
def test_the_plan_command_reports_a_malformed_user_in_one_line_without_a_traceback(
    fake: fakeapi.FakeApi, answer: fakeapi.Answer, tmp_path: Path
) -> None:
    if answer.status >= 500:
        answer = fakeapi.Answer(status=200, body=answer.body, cut=answer.cut)  # no slow retries
    fake.serve("auth0|bad", answer)
    manifest = tmp_path / "team.yaml"
    users = [
        {
            "user_id": user_id,
            "methods": [{"type": "phone", "name": "SMS", "phone_number": "+14155550100"}],
        }
        for user_id in ("auth0|good1", "auth0|bad", "auth0|good2")
    ]
    manifest.write_text(yaml.safe_dump({"version": 1, "users": users}), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "plan",
            str(manifest),
            "--format",
            "json",
            "--domain",
            fake.url,
            "--access-token",
            "fuzz-token",
        ],
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not an escaped exception
    assert "Traceback" not in result.output
    document = json.loads(result.stdout)
    failed = {user["user_id"]: user["error"] for user in document["users"] if user["error"]}
    assert list(failed) == ["auth0|bad"]
    assert "\n" not in failed["auth0|bad"]


# ----- manifests --------------------------------------------------------------------------

manifest_method = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(KNOWN_TYPES) | json_values,
        "name": st.text(max_size=25) | json_values,
        "phone_number": st.sampled_from(["+14155550123", "+1", "0123", ""]) | json_values,
        "email": st.sampled_from(["a@example.com", "not-an-email"]) | json_values,
        "totp_secret": st.sampled_from(
            ["JBSWY3DPEHPK3PXP", "${env:X}", "${file:../../etc/passwd}", "${nope}", "otpauth://x"]
        )
        | json_values,
        "key_id": json_values,
        "public_key": json_values,
        "relying_party_identifier": json_values,
        "preferred_authentication_method": st.sampled_from(["sms", "voice", "fax"]) | json_values,
        "id": json_values,
        "surprise": json_values,
    },
)
manifest_user = st.fixed_dictionaries(
    {},
    optional={
        "user_id": st.sampled_from(["auth0|a", "auth0|b", ""]) | json_values,
        "email": st.sampled_from(["a@example.com", "bad"]) | json_values,
        "prune": st.sampled_from(["managed", "none", "all"]) | json_values,
        "ignore": json_values,
        "methods": st.lists(manifest_method, max_size=4) | json_values,
    },
)
manifest_document = st.one_of(
    st.fixed_dictionaries(
        {"version": st.just(1) | json_values, "users": st.lists(manifest_user, max_size=4)},
        optional={"defaults": json_values, "extra": json_values},
    ),
    json_values,
)
manifest_text = st.one_of(
    manifest_document.map(lambda document: yaml.safe_dump(document, allow_unicode=True)),
    st.text(max_size=300),
    st.sampled_from(["version: 1\nusers: [", "\t- a", "!!python/object:os.system {}", "&a [*a]"]),
)


@pytest.mark.slow
@settings(FUZZ, max_examples=150)
@given(text=manifest_text)
def test_any_manifest_text_parses_to_users_and_located_problems(text: str) -> None:
    result = manifests.parse(text, "fuzz.yaml")
    for problem in result.problems:
        assert problem.line >= 1
        assert problem.column >= 1
        assert "\n" not in problem.message
    if not result.errors:
        assert all(isinstance(user, models.DesiredUser) for user in result.users)


@pytest.mark.slow
@settings(FUZZ, max_examples=25)
@given(text=manifest_text)
def test_validate_ends_with_exit_0_or_1_and_never_a_traceback(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code in (0, 1)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
