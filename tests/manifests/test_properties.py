"""Property tests: no input makes parsing or `validate` fail with anything but reported problems."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfasync import manifests, models
from mfasync.cli import main

VALID = """\
version: 1
defaults: {prune: managed, ignore: [name]}
users:
  - user_id: "auth0|a"
    prune: none
    methods:
      - {type: phone, name: Work, phone_number: "+14155550142",
         preferred_authentication_method: voice}
      - {type: totp, totp_secret: "${file:s.json#a}"}
      - {type: webauthn-roaming, key_id: k, public_key: AAAA, relying_party_identifier: a.io}
      - {type: email, id: "email|dev_1"}
  - email: b@example.com
    methods: [{type: email, email: b@example.com}]
"""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "version",
            "users",
            "methods",
            "type",
            "phone",
            "totp",
            "email",
            "id",
            "user_id",
            "+14155550142",
            "${env:X}",
            "${file:../x}",
            "phone|dev_1",
            "1",
        ]
    ),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    [
                        "version",
                        "users",
                        "defaults",
                        "methods",
                        "type",
                        "user_id",
                        "email",
                        "name",
                        "phone_number",
                        "totp_secret",
                        "id",
                        "prune",
                        "ignore",
                        "key_id",
                    ]
                ),
                st.text(max_size=8),
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


def _assert_problems_only(text: str) -> None:
    result = manifests.parse(text, "t.yaml", base_dir="/m")
    assert isinstance(result, manifests.ParseResult)
    for problem in result.problems:
        assert min(problem.line, problem.column) >= 1
        assert problem.severity in ("error", "warning")


@given(documents)
def test_any_yaml_document_gives_a_parse_result_never_an_exception(document: object) -> None:
    _assert_problems_only(yaml.safe_dump(document))


@given(documents)
def test_any_document_under_version_1_gives_a_parse_result(document: object) -> None:
    _assert_problems_only(yaml.safe_dump({"version": 1, "users": [document]}))


@given(st.text(max_size=200))
def test_any_text_gives_a_parse_result(text: str) -> None:
    _assert_problems_only(text)


@st.composite
def mutations(draw: st.DrawFn) -> str:
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "swap_lines", "replace"]))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 6)) :]
        elif kind == "insert":
            text = text[:at] + draw(st.text(max_size=6)) + text[at:]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(list(":-[]{}&*!|>'\"#% \t\n"))) + text[at + 1 :]
        else:
            lines = text.splitlines(keepends=True)
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


@given(mutations())
def test_mutated_valid_manifest_gives_a_parse_result(text: str) -> None:
    _assert_problems_only(text)


def test_the_unmutated_manifest_is_valid() -> None:
    result = manifests.parse(VALID, "t.yaml")
    assert (len(result.users), result.errors) == (2, ())


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutations().map(str.encode), st.binary(max_size=300)))
def test_validate_never_prints_a_traceback(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "m.yaml").write_bytes(data)
        for args in (["validate", folder], ["validate", "--format", "json", "--strict", folder]):
            result = CliRunner().invoke(main.cli, args)
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert result.exit_code in (0, 1)
            assert "Traceback" not in result.output


phones = st.sampled_from(["+14155550142", "+442079460123", "+33199001234", "+16175550100"])
names = st.none() | st.text(min_size=1, max_size=20)
methods = st.one_of(
    st.builds(
        models.DesiredMethod,
        type=st.just(models.MethodType.PHONE),
        name=names,
        phone_number=phones,
        preferred_authentication_method=st.sampled_from(list(models.PreferredMethod)),
    ),
    st.builds(
        models.DesiredMethod,
        type=st.just(models.MethodType.TOTP),
        name=names,
        totp_secret=st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True).map(
            lambda n: models.SecretSource(reference=f"${{env:{n}}}", base_dir="/m")
        ),
    ),
    st.builds(
        models.DesiredMethod,
        type=st.sampled_from(list(models.MethodType)),
        name=names,
        id=st.from_regex(r"dev_[A-Za-z0-9|: #'\"]{1,12}", fullmatch=True),
    ).map(lambda m: m.model_copy(update={"id": f"{m.type.value}|{m.id}"})),
)
users = st.builds(
    models.DesiredUser,
    user_id=st.text(min_size=1, max_size=30).filter(str.strip),
    prune=st.sampled_from(list(models.Prune)),
    ignore=st.frozensets(st.sampled_from(list(models.IgnorableField))),
    methods=st.lists(
        methods, max_size=3, unique_by=lambda m: (m.type, m.id, m.phone_number, m.totp_secret)
    ).map(tuple),
)


@given(st.lists(users, max_size=4, unique_by=lambda u: u.user_id))
def test_dump_users_parses_back_to_equal_users(declared: list[models.DesiredUser]) -> None:
    result = manifests.parse(manifests.dump_users(declared), "t.yaml", base_dir="/m")
    assert result.errors == ()
    assert list(result.users) == declared
