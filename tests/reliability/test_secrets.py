"""Claim: no secret and no full phone number reaches any output, log or file, at any verbosity.

Every command runs through the real entry point (`mfasync.cli.main.main`, the error boundary
included) against an emulator whose client secret and static access token are known values,
with manifests holding known TOTP seeds (by reference and one inline) and full phone numbers. The
same runs happen at the default verbosity and at -vv; failing runs (a refused secret, a refused
token) are among them. stdout, stderr, log records, tracebacks and every file written are searched.
Files that may hold secrets or personal data must be private (mode 0600).

A second scan runs every command the CLI has (derived from `main.COMMANDS`, a group's
subcommands included: a command without a scan case fails it) at -vv with `--log-file`, with
users declared by email and an email factor too, and searches stdout, stderr and the request log
for the seeds, full phone numbers, clear email addresses, the client secret and every access
token, given or issued.
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


# -- every command at -vv with --log-file ---------------------------------------------------------

DAVE_EMAIL = "dave.kim@corp.example"  # declares its user by email
ALICE_MAIL = "alice.w@mail.example"  # an email factor's value
ERIN_EMAIL = "erin.m@corp.example"  # a user's address, never declared
DEMO_EMAILS = (  # mfasync/data: the demo's tenant and legacy export
    "alice@example.com",
    "bob@example.com",
    "carol@example.org",
    "dave@example.com",
    "erin@example.com",
)
EMAILS = (DAVE_EMAIL, ALICE_MAIL, ERIN_EMAIL, "alice.s@corp.example", "carol@example.com")
DAVE_PHONE = "+61491570199"
DAVE_SEED = "ONSWG4TFORRW6ZDF"
DEMO_SECRETS = ("+12025550188", "+12025550177", "+61491570156")  # mfasync/data, besides ours
ALL_SECRETS = (*SECRETS, DAVE_PHONE, DAVE_SEED, *DEMO_SECRETS)

BY_EMAIL = f"""\
version: 1
users:
  - email: {DAVE_EMAIL}
    methods:
      - type: phone
        name: Mobile
        phone_number: "{DAVE_PHONE}"
      - type: totp
        name: Authenticator
        totp_secret: ${{file:.seeds.yaml#dave}}
  - user_id: "auth0|erin"
    methods:
      - type: email
        name: Mail
        email: {ALICE_MAIL}
"""

EMULATOR_SEED = f"""\
users:
  - user_id: "auth0|alice"
    email: alice.s@corp.example
    methods:
      - {{type: phone, name: SMS, phone_number: "{LIVE_PHONE}"}}
      - {{type: totp, name: Old, totp_secret: {SEED_INLINE}}}
"""


def _scan_cases(url: str, client_id: str) -> dict[str, list[tuple[list[str], int]]]:
    """The runs of each command (a group's subcommands by their full name) and their exit
    codes; -vv and the log file are added to each, before or after the command name."""
    creds = ["--domain", url, "--client-id", client_id, "--client-secret", CLIENT_SECRET]
    token = ["--domain", url, "--access-token", ACCESS_TOKEN]
    domain = ["--domain", url]
    wrong_secret = ["--domain", url, "--client-id", "x", "--client-secret", WRONG_SECRET]
    return {
        "validate": [(["validate", "manifests", "--format", "json", "--require-secrets"], 0)],
        "plan": [
            (["plan", "manifests", "--out", "plan.json", *creds], 0),
            (["plan", "manifests", "--format", "markdown", *token], 0),
            # refusals: the wrong secret and token are not echoed either
            (["plan", "manifests", *wrong_secret], 1),
            (["plan", "manifests", "--domain", url, "--access-token", WRONG_TOKEN], 1),
        ],
        "apply": [
            (["apply", "manifests", "--dry-run", *creds], 0),
            (["apply", "manifests", "--yes", "--report", "report.json", *creds], 0),
        ],
        "drift": [(["drift", "manifests", "--format", "json", *token], 0)],
        "export": [(["export", "--users-file", "users.txt", "--out", "exported", *creds], 0)],
        "import": [(["import", "csv", "legacy.csv", "--out", "imported"], 0)],
        "schema": [(["schema"], 0)],
        "config": [
            (["config", "plan", *creds], 0),  # a secret given as a flag is shown as set only
            (["config", "--format", "json", "apply", *token], 0),
        ],
        "demo": [(["demo"], 0)],
        "state list": [(["state", "list", *domain], 0)],
        "state show": [(["state", "show", "auth0|dave", *domain], 0)],
        "state history": [(["state", "history", *domain], 0)],
        "state push": [(["state", "push", "sqlite:///pushed.db"], 0)],
        "state forget": [(["state", "forget", "auth0|erin", "--yes", *domain], 0)],
        "emulator": [],  # a server until Ctrl-C: run in its own process, see below
    }


def _command_names() -> set[str]:
    """Every command the CLI has, a group's subcommands by their full name (`state list`)."""
    import click

    context = click.Context(cli_main.cli)
    names: set[str] = set()
    for name in cli_main.COMMANDS:
        command = cli_main.cli.get_command(context, name)
        assert command is not None, name
        subcommands = getattr(command, "commands", {})
        names.update(f"{name} {sub}" for sub in subcommands) if subcommands else names.add(name)
    return names


_ISSUED_TOKENS: list[str] = []  # every token the emulators issued during the scan


def _leaks(text: str, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    values = (*ALL_SECRETS, *EMAILS, *DEMO_EMAILS, *_ISSUED_TOKENS)
    return [value for value in values if value in text and value not in allowed]


def _with_log(args: list[str], log: Path, *, before: bool) -> list[str]:
    """`-vv --log-file LOG` before the command name, or after the whole command line."""
    flags = ["-vv", "--log-file", str(log)]
    return [*flags, *args] if before else [*args, *flags]


def _run_emulator_briefly(log: Path) -> tuple[int, str]:
    """`mfasync -vv emulator --log-file LOG` in its own process, stopped with Ctrl-C once ready."""
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "mfasync", "-vv", "emulator", "--port", "0",
         "--seed", "emulator-seed.yaml", "--log-file", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stderr is not None
    shown = []
    for line in process.stderr:  # until it says it is ready (or ends)
        shown.append(line)
        if "Press Ctrl-C" in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, "".join(shown) + out + err


@pytest.mark.slow
def test_every_command_at_vv_with_a_log_file_shows_and_logs_no_secret(
    emu: emulator.Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mfasync.emulator import tokens as emulator_tokens

    issue = emulator_tokens.TokenStore.issue

    def recording_issue(self: emulator_tokens.TokenStore, scopes: tuple[str, ...]) -> str:
        token = issue(self, scopes)
        _ISSUED_TOKENS.append(token)
        return token

    monkeypatch.setattr(emulator_tokens.TokenStore, "issue", recording_issue)
    _ISSUED_TOKENS.clear()
    emu.state.add_user("auth0|dave", email=DAVE_EMAIL)  # the fixture's tenant, and these two
    emu.state.add_user("auth0|erin", email=ERIN_EMAIL)
    for name in ("AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALICE_TOTP", SEED_ENV)
    monkeypatch.chdir(tmp_path)
    Path("manifests").mkdir()
    Path("manifests/team.yaml").write_text(MANIFEST, encoding="utf-8")
    Path("manifests/by-email.yaml").write_text(BY_EMAIL, encoding="utf-8")
    Path("manifests/.seeds.yaml").write_text(
        f"bob: {SEED_FILE}\ndave: {DAVE_SEED}\n", encoding="utf-8"
    )
    Path("legacy.csv").write_text(LEGACY_CSV, encoding="utf-8")
    Path("users.txt").write_text("auth0|alice\nauth0|bob\nauth0|dave\n", encoding="utf-8")
    Path("emulator-seed.yaml").write_text(EMULATOR_SEED, encoding="utf-8")

    cases = _scan_cases(emu.url, emu.client_id)
    # a command added to the CLI without a case here fails the test: none escapes the scan
    assert set(cases) == _command_names()
    logs: dict[str, Path] = {}
    for index, (name, runs) in enumerate(sorted(cases.items())):
        for number, (args, expected_code) in enumerate(runs):
            log = tmp_path / "logs" / f"{name.replace(' ', '-')}-{number}.log"
            log.parent.mkdir(exist_ok=True)
            code, shown = _run(
                _with_log(args, log, before=(index + number) % 2 == 0),
                capsys=capsys,
                monkeypatch=monkeypatch,
            )
            assert code == expected_code, (args, code, shown[-2000:])
            assert _leaks(shown) == [], (args, shown[-3000:])
            logs[f"{name} {number}"] = log
    code, shown = _run_emulator_briefly(tmp_path / "logs" / "emulator.log")
    assert "users seeded" in shown, shown[-3000:]  # it ran, and said so, before Ctrl-C
    assert _leaks(shown) == [], shown[-3000:]
    logs["emulator"] = tmp_path / "logs" / "emulator.log"

    assert _ISSUED_TOKENS  # client credentials were exchanged, and their tokens looked for
    for run, log in logs.items():
        assert stat.S_IMODE(os.stat(log).st_mode) == 0o600, run
        text = log.read_text(encoding="utf-8")
        assert _leaks(text) == [], (run, text[-3000:])
    # the runs that call the API logged their requests, the others none
    requesting = {run for run, log in logs.items() if "attempt=1" in log.read_text()}
    assert "plan 0" in requesting
    assert "apply 1" in requesting
    assert "demo 0" in requesting
    assert "users-by-email?email=dave****@corp********" in logs["apply 1"].read_text()
