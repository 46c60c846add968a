"""Claim: no secret and no full phone number reaches any output, log or file, at any verbosity.

Every command runs through the real entry point (`mfasync.cli.main.main`, the error boundary
included) against an emulator whose client secret and static access token are known values,
with manifests holding known TOTP seeds (by reference and one inline) and full phone numbers. The
same runs happen at the default verbosity and at -vv; failing runs (a refused secret, a refused
token) are among them. stdout, stderr, log records, tracebacks and every file written are searched.
Files that may hold secrets or personal data must be private (mode 0600).
"""

from __future__ import annotations

import logging
import os
import stat
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfasync import emulator
from mfasync.cli import main as cli_main

CLIENT_SECRET = "cs-7Hq2ZpL9wXv4RtY8"
ACCESS_TOKEN = "at-Qm3Vn8Kd2Lp6Jx1Z"
WRONG_SECRET = "cs-wrong-Bf5Gh7Jk9L"
WRONG_TOKEN = "at-wrong-Cv2Bn4Mx6Z"
SEED_ENV = "JBSWY3DPEHPK3PXP"
SEED_FILE = "GEZDGNBVGY3TQOJQ"
SEED_INLINE = "KRSXG5CTMVRXEZLU"
SEED_IMPORT = "MFRGGZDFMZTWQ2LK"
LIVE_PHONE = "+14155550111"
NEW_PHONE = "+14155550199"
BOB_PHONE = "+442079460958"
IMPORT_PHONE = "+12025550143"
SECRETS = (
    CLIENT_SECRET,
    ACCESS_TOKEN,
    WRONG_SECRET,
    WRONG_TOKEN,
    SEED_ENV,
    SEED_FILE,
    SEED_INLINE,
    SEED_IMPORT,
    LIVE_PHONE,
    NEW_PHONE,
    BOB_PHONE,
    IMPORT_PHONE,
    "2025550143",  # the national form of the imported number
)

MANIFEST = f"""\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - type: phone
        name: Work phone
        phone_number: "{NEW_PHONE}"
      - type: totp
        name: Authenticator
        totp_secret: ${{env:ALICE_TOTP}}
  - user_id: "auth0|bob"
    methods:
      - type: phone
        name: Desk
        phone_number: "{BOB_PHONE}"
      - type: totp
        name: Work app
        totp_secret: ${{file:.seeds.yaml#bob}}
      - type: totp
        name: Spare
        totp_secret: "{SEED_INLINE}"
"""

LEGACY_CSV = f"""\
user_id,email,type,value,name
auth0|carol,carol@example.com,sms,+1 202 555 0143,Work phone
auth0|carol,carol@example.com,totp,{SEED_IMPORT},Authenticator
"""


def _tenant() -> emulator.State:
    state = emulator.State(random_seed=5)
    emulator.seed_mapping(
        state,
        {
            "users": [
                {
                    "user_id": "auth0|alice",
                    "methods": [{"type": "phone", "name": "SMS", "phone_number": LIVE_PHONE}],
                },
                {"user_id": "auth0|bob", "methods": [{"type": "push", "name": "Guardian"}]},
            ]
        },
    )
    return state


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    config = emulator.Config(
        client_secret=CLIENT_SECRET, static_tokens={ACCESS_TOKEN: emulator.ALL_SCOPES}
    )
    with emulator.run_in_thread(config, _tenant()) as running:
        yield running


def _run(
    args: list[str],
    *,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str]:
    """Run `mfasync args` through the real entry point; (exit code, everything it showed)."""
    monkeypatch.setattr("sys.argv", ["mfasync", *args])
    shown = ""
    try:
        cli_main.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # -v re-raises errors: what a user would see is the traceback
        shown = "".join(traceback.format_exception(exc))
        code = 1
    captured = capsys.readouterr()
    return code, captured.out + captured.err + shown


@pytest.mark.slow
@pytest.mark.parametrize("verbosity", [[], ["-vv"]], ids=["default", "vv"])
def test_no_command_shows_or_writes_a_secret_or_a_full_phone_number(
    verbosity: list[str],
    emu: emulator.Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALICE_TOTP", SEED_ENV)
    monkeypatch.chdir(tmp_path)
    Path("manifests").mkdir()
    Path("manifests/team.yaml").write_text(MANIFEST, encoding="utf-8")
    Path("manifests/.seeds.yaml").write_text(f"bob: {SEED_FILE}\n", encoding="utf-8")
    Path("legacy.csv").write_text(LEGACY_CSV, encoding="utf-8")
    Path("users.txt").write_text("auth0|alice\nauth0|bob\n", encoding="utf-8")
    creds = ["--domain", emu.url, "--client-id", emu.client_id, "--client-secret", CLIENT_SECRET]
    token = ["--domain", emu.url, "--access-token", ACCESS_TOKEN]
    runs: list[tuple[list[str], set[int]]] = [
        (["validate", "manifests"], {0}),
        (["validate", "manifests", "--format", "json", "--require-secrets"], {0}),
        (["plan", "manifests", "--out", "plan.json", *creds], {0}),
        (["plan", "manifests", "--format", "json", *token], {0}),
        (["plan", "manifests", "--format", "markdown", *creds], {0}),
        (["apply", "manifests", "--dry-run", *creds], {0}),
        (["apply", "--plan", "plan.json", "--yes", "--report", "report.json", *creds], {0}),
        (["drift", "manifests", "--junit", "junit.xml", *token], {0}),
        (["export", "--users-file", "users.txt", "--out", "exported", *creds], {0}),
        (["import", "csv", "legacy.csv", "--out", "imported"], {0}),
        (["schema"], {0}),
        (["config", *creds], {0}),
        (["config", "--format", "json", "plan", *token], {0}),
        # Refusals: the wrong secret and token must not be echoed either.
        (
            [
                "plan",
                "manifests",
                "--domain",
                emu.url,
                "--client-id",
                "x",
                "--client-secret",
                WRONG_SECRET,
            ],
            {1},
        ),
        (["plan", "manifests", "--domain", emu.url, "--access-token", WRONG_TOKEN], {1}),
        (
            [
                "apply",
                "manifests",
                "--yes",
                "--domain",
                "http://10.9.8.7",
                "--access-token",
                ACCESS_TOKEN,
            ],
            {1},
        ),
    ]
    for args, codes in runs:
        code, shown = _run([*verbosity, *args], capsys=capsys, monkeypatch=monkeypatch)
        assert code in codes, (args[0], code, shown[-2000:])
        leaked = [secret for secret in SECRETS if secret in shown]
        assert leaked == [], (args, shown[-2000:])
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert [secret for secret in SECRETS if secret in logged] == []
    secrets_file = tmp_path / "imported" / ".secrets.yaml"
    written = sorted(
        path for path in tmp_path.rglob("*") if path.is_file() and path != secrets_file
    )
    inputs = {Path("manifests/team.yaml"), Path("manifests/.seeds.yaml"), Path("legacy.csv")}
    # the state (the SQLite default, kept in tmp_path by the suite's fixture) is scanned too,
    # as bytes: the database file and its write-ahead log
    assert any(path.name == "state.db" for path in written)
    for path in written:
        if path.relative_to(tmp_path) in inputs:
            continue
        data = path.read_bytes()
        # An imported manifest declares the user's number (that is its job); never a seed.
        allowed = {IMPORT_PHONE, "2025550143"} if path.match("imported/users-*.yaml") else set()
        found = [s for s in SECRETS if s.encode() in data and s not in allowed]
        assert found == [], path
    # The seed went where it belongs: the private secrets file of the import, and nowhere else.
    assert SEED_IMPORT in secrets_file.read_text(encoding="utf-8")
    private = [
        tmp_path / "plan.json",
        tmp_path / "report.json",
        secrets_file,
        tmp_path / "imported" / "import-report.json",
    ]
    modes = {path.name: oct(stat.S_IMODE(os.stat(path).st_mode)) for path in private}
    assert modes == dict.fromkeys(modes, "0o600")
