"""`mfasync validate` and `mfasync schema` through the real command group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mfasync.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD = "version: 1\nusers:\n  - {user_id: a, prune: none, methods: []}\n"
WARN = "version: 1\nusers:\n  - {user_id: b, methods: []}\n"
BAD = "version: 1\nusers:\n  - {user_id: c, methods: [{type: sms}]}\n"


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main.cli, ["validate", *args], env=env, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_valid_set_prints_the_summary_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    assert _run(str(tmp_path)) == (0, "1 file, 1 user, 0 errors, 0 warnings\n")


def test_each_problem_is_one_line_then_the_summary_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(BAD)
    (tmp_path / "c.yaml").write_text(WARN)
    code, out = _run(str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path / 'b.yaml'}:3:35: error: unknown method type 'sms'; allowed: phone, email, "
        "totp, webauthn-roaming (sms is a phone method's preferred_authentication_method)",
        f"{tmp_path / 'c.yaml'}:3:27: warning: methods: [] under prune: managed deletes every "
        "phone, email, totp and webauthn-roaming method this user has",
        "3 files, 2 users, 1 error, 1 warning",
    ]


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(WARN)
    assert _run(str(tmp_path))[0] == 0
    code, out = _run("--strict", str(tmp_path))
    assert code == 1
    assert out.endswith("1 file, 1 user, 0 errors, 1 warning (--strict: warnings fail)\n")


def test_json_format_is_one_document(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(BAD)
    code, out = _run("--format", "json", str(tmp_path))
    document = json.loads(out)
    assert code == 1
    assert {k: document[k] for k in ("valid", "files", "users", "errors", "warnings")} == {
        "valid": False,
        "files": 1,
        "users": 0,
        "errors": 1,
        "warnings": 0,
    }
    assert (document["problems"][0]["line"], document["problems"][0]["column"]) == (3, 35)


def test_require_secrets_names_each_unresolved_reference(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "version: 1\nusers:\n  - user_id: a\n    methods:\n"
        "      - {type: totp, totp_secret: '${env:MFASYNC_TEST_SEED}'}\n"
        "      - {type: totp, name: b, totp_secret: '${file:nope.json#a}'}\n"
    )
    assert _run(str(tmp_path))[0] == 0
    code, out = _run("--require-secrets", str(tmp_path), env={"MFASYNC_TEST_SEED": None})  # type: ignore[dict-item]
    assert code == 1
    assert out.splitlines()[:2] == [
        f"{tmp_path / 'a.yaml'}:5:9: error: cannot resolve ${{env:MFASYNC_TEST_SEED}}: "
        "environment variable MFASYNC_TEST_SEED is not set",
        f"{tmp_path / 'a.yaml'}:6:9: error: cannot resolve ${{file:nope.json#a}}: nope.json "
        "does not exist or is not a file",
    ]


def test_require_secrets_passes_when_every_reference_resolves() -> None:
    code, out = _run(
        "--require-secrets",
        str(ROOT / "examples" / "manifests"),
        env={"MFASYNC_TOTP_EXAMPLE": "JBSWY3DPEHPK3PXP"},
    )
    assert code == 0, out
    assert "JBSWY3DPEHPK3PXP" not in out


def test_shipped_manifest_set_is_valid() -> None:
    code, out = _run(str(ROOT / "manifests"))
    assert (code, out) == (0, "2 files, 6 users, 0 errors, 0 warnings\n")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "Error: no such file or directory: "),
        (lambda p: p, "Error: no manifests (*.yaml, *.yml) found in "),
    ],
)
def test_path_problems_are_one_clear_line(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    result = CliRunner().invoke(main.cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert len(result.output.splitlines()) == 1


def test_binary_garbage_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_bytes(bytes(range(256)) * 4)
    code, out = _run(str(tmp_path))
    assert code == 1
    assert "Traceback" not in out
    assert "x.yaml:2:118: error: the file is not UTF-8 text" in out  # first byte >= 0x80


def test_schema_command_prints_the_committed_schema() -> None:
    result = CliRunner().invoke(main.cli, ["schema"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "schema" / "mfasync-manifest-v1.json").read_text()


def test_the_json_document_carries_its_format_version_as_plan_and_drift_do() -> None:
    code, output = _run(str(ROOT / "manifests"), "--format", "json")
    assert code == 0
    assert json.loads(output)["format_version"] == 1


def test_a_long_list_of_problems_is_cut_to_max_errors_with_the_count_of_the_rest(
    tmp_path: Path,
) -> None:
    body = "version: 1\nusers:\n" + "".join(
        f'  - user_id: "auth0|u{i}"\n    methods:\n      - {{type: phone, phone_number: "nope"}}\n'
        for i in range(120)
    )
    (tmp_path / "bad.yaml").write_text(body, encoding="utf-8")
    code, output = _run(str(tmp_path))
    lines = output.splitlines()
    assert code == 1
    assert sum(1 for line in lines if ": error: " in line) == 50
    assert "... and 70 more (--format json lists all)" in output
    assert lines[-1].endswith("120 errors, 0 warnings")  # the summary still counts them all
    code, output = _run(str(tmp_path), "--max-errors", "5", "--format", "json")
    assert len(json.loads(output)["problems"]) == 120  # JSON unchanged: every problem
    code, output = _run(str(tmp_path), "--max-errors", "0")
    assert sum(1 for line in output.splitlines() if ": error: " in line) == 120


def test_plan_on_a_long_list_of_problems_shows_the_first_fifty_and_the_count(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    body = "version: 1\nusers:\n" + "".join(
        f'  - user_id: "auth0|u{i}"\n    methods:\n      - {{type: phone, phone_number: "nope"}}\n'
        for i in range(80)
    )
    (tmp_path / "bad.yaml").write_text(body, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mfasync", "plan", str(tmp_path), "--state", "none"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("AUTH0_")},
    )
    lines = result.stderr.splitlines()
    assert result.returncode == 1
    assert sum(1 for line in lines if ": error: " in line) == 50
    assert lines[-1] == "... and 30 more (mfasync validate --format json lists all)"
