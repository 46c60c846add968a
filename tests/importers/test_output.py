"""What `mfasync import` writes: file split, secrets file mode, no leaked secret, determinism."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from mfasync import errors, manifests, secretrefs
from mfasync.cli import main
from tests.importers.conftest import Runner

HEADER = "user_id,email,type,value,name\n"
SEEDS = ("JBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQ", "MFRGGZDFMZTWQ2LK")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "legacy"

FIVE_USERS = HEADER + "".join(
    f"auth0|u{n},,sms,+1202555014{n},\nauth0|u{n},,totp,{SEEDS[n % 3]},\n" for n in (5, 1, 4, 2, 3)
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_users_are_split_into_files_of_at_most_users_per_file_in_key_order(
    run_import: Runner,
) -> None:
    run = run_import("csv", FIVE_USERS, "--users-per-file", "2")
    assert run.exit_code == 0
    names = sorted(p.name for p in run.out_dir.glob("users-*.yaml"))
    assert names == ["users-0001.yaml", "users-0002.yaml", "users-0003.yaml"]
    keys = [[u.key for u in manifests.load([run.out_dir / name]).users] for name in names]
    assert keys == [["auth0|u1", "auth0|u2"], ["auth0|u3", "auth0|u4"], ["auth0|u5"]]
    assert run.report["files"] == names


def test_default_users_per_file_is_1000(run_import: Runner) -> None:
    run = run_import("csv", FIVE_USERS)
    assert run.report["files"] == ["users-0001.yaml"]


def test_secrets_file_is_created_with_mode_0600(run_import: Runner) -> None:
    run = run_import("csv", FIVE_USERS)
    assert _mode(run.out_dir / ".secrets.yaml") == 0o600


def test_secrets_file_is_private_even_when_a_readable_one_existed(
    run_import: Runner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".secrets.yaml").write_text("{}\n")
    os.chmod(out / ".secrets.yaml", 0o644)
    run = run_import("csv", FIVE_USERS)
    assert _mode(run.out_dir / ".secrets.yaml") == 0o600
    assert [p.name for p in run.out_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_no_secret_or_full_phone_reaches_manifests_report_or_streams(run_import: Runner) -> None:
    bad = "auth0|x,,sms,2025550199,\nauth0|y,,totp,otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=8,\n"
    run = run_import("csv", FIVE_USERS + bad)
    assert run.exit_code == 1
    everything = run.all_output()
    for seed in SEEDS:
        assert seed not in everything
        assert seed.lower() not in everything
    for shown in (run.stdout, run.stderr, run.text("import-report.json")):
        assert "2025550199" not in shown
        assert "+12025550141" not in shown
    assert "phone …0199" in run.stderr
    secrets = run.text(".secrets.yaml")
    assert '"auth0_u1_totp": "GEZDGNBVGY3TQOJQ"' in secrets


def test_written_manifests_load_and_every_reference_resolves_to_its_seed(
    run_import: Runner,
) -> None:
    run = run_import("csv", FIVE_USERS, "--users-per-file", "2")
    loaded = manifests.load(sorted(run.out_dir.glob("users-*.yaml")))
    resolver = secretrefs.Resolver({})
    seeds = {}
    for user in loaded.users:
        for method in resolver.resolve_user(user).methods:
            if method.totp_secret is not None:
                assert method.totp_secret.problem is None
                assert method.totp_secret.value is not None
                seeds[user.key] = method.totp_secret.value.get_secret_value()
    assert seeds == {
        "auth0|u1": "GEZDGNBVGY3TQOJQ",
        "auth0|u2": "MFRGGZDFMZTWQ2LK",
        "auth0|u3": "JBSWY3DPEHPK3PXP",
        "auth0|u4": "GEZDGNBVGY3TQOJQ",
        "auth0|u5": "MFRGGZDFMZTWQ2LK",
    }
    assert loaded.warnings == ()


def test_same_input_twice_gives_byte_identical_files(run_import: Runner) -> None:
    first = run_import("csv", FIVE_USERS, "--users-per-file", "2", out="one")
    second = run_import("csv", FIVE_USERS, "--users-per-file", "2", out="two")
    again = run_import("csv", FIVE_USERS, "--users-per-file", "2", out="one")
    files = sorted(p.name for p in first.out_dir.iterdir())
    assert files == sorted(p.name for p in second.out_dir.iterdir())
    for name in files:
        assert first.text(name) == second.text(name) == again.text(name)


def test_manifests_of_an_earlier_larger_run_are_removed(run_import: Runner) -> None:
    run_import("csv", FIVE_USERS, "--users-per-file", "1")
    run = run_import("csv", FIVE_USERS, "--users-per-file", "3")
    assert sorted(p.name for p in run.out_dir.glob("users-*.yaml")) == [
        "users-0001.yaml",
        "users-0002.yaml",
    ]
    assert "Removed manifests of an earlier run: users-0003.yaml, users-0004.yaml" in run.stderr


def test_import_writes_prune_none_unless_asked_for_managed(run_import: Runner) -> None:
    default = run_import("csv", FIVE_USERS, out="default")
    managed = run_import("csv", FIVE_USERS, "--prune", "managed", out="managed")
    assert "prune: none" in default.text("users-0001.yaml")
    assert "prune:" not in managed.text("users-0001.yaml")


@pytest.mark.parametrize(
    ("format_name", "file_name", "users", "rejected", "unmigratable"),
    [
        ("csv", "users.csv", 3, 6, 0),
        ("auth0-bulk", "auth0-bulk.json", 2, 4, 0),
        ("okta", "okta.jsonl", 2, 3, 4),
        ("otpauth", "otpauth.txt", 2, 3, 0),
    ],
)
def test_shipped_examples_import_with_their_bad_rows_reported(
    tmp_path: Path,
    format_name: str,
    file_name: str,
    users: int,
    rejected: int,
    unmigratable: int,
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main.cli, ["import", format_name, str(EXAMPLES / file_name), "--out", str(out)]
    )
    assert result.exit_code == 1
    summary = json.loads((out / "import-report.json").read_text())["summary"]
    assert (summary["users"], summary["rejected"], summary["unmigratable"]) == (
        users,
        rejected,
        unmigratable,
    )
    assert len(manifests.load([out / "users-0001.yaml"]).users) == users


def test_input_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_bytes(HEADER.encode() + b"auth0|a,,sms,\xff\xfe,\n")
    with pytest.raises(errors.UsageError, match=r"export\.csv is not UTF-8 text \(line 2\)"):
        CliRunner().invoke(
            main.cli,
            ["import", "csv", str(source), "--out", str(tmp_path / "out")],
            catch_exceptions=False,
        )


def test_unknown_format_is_refused_by_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("")
    result = CliRunner().invoke(main.cli, ["import", "lastpass", str(source), "--out", "o"])
    assert result.exit_code == 2
    assert "'lastpass' is not one of 'auth0-bulk', 'csv', 'okta', 'otpauth'" in result.stderr
