"""Start-up (issue 11): a command imports what it needs, nothing more.

Each test runs a real process, as the console script does, and reads `sys.modules` when it exits:
deterministic, where a timing would not be (the figures are `bench/startup.py`'s). What every
command but its own must not pay: aiohttp, rich, deepdiff, the database libraries, the planner,
the executor and the API client. `--help` and `--version` need no command module, no pydantic
and no YAML at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# the console script's own code, with the modules written out when the process exits
PROBE = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from mfasync.cli.main import main
sys.exit(main())
"""

NEVER_FOR_VALIDATE = (
    "aiohttp",
    "aiolimiter",
    "yarl",
    "multidict",
    "rich",
    "deepdiff",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "aiosqlite",
    "filelock",
    "mfasync.api",
    "mfasync.changefeed",
    "mfasync.drift",
    "mfasync.emulator",
    "mfasync.executing",
    "mfasync.importers",
    "mfasync.incremental",
    "mfasync.planning",
    "mfasync.plans",
    "mfasync.rendering",
    "mfasync.settings",
    "mfasync.state",
)
NEVER_FOR_HELP = (
    *NEVER_FOR_VALIDATE,
    "pydantic",
    "yaml",
    "phonenumbers",
    "email_validator",
    "mfasync.models",
    "mfasync.manifests",
    "mfasync.secretrefs",
)

# what a team writes by hand: phones, emails, seeds by reference, a key, a user by email
HAND_WRITTEN = """\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550142"
      - type: totp
        name: Authenticator
        totp_secret: ${env:MFASYNC_TOTP_ALICE}
  - email: bob@example.com
    methods:
      - type: email
        email: bob@example.com
      - type: totp
        totp_secret: ${file:secrets.json#bob}
  - user_id: "auth0|carol"
    methods:
      - type: webauthn-roaming
        name: YubiKey
        key_id: P7ScL_LFChgpQOSThVlcrg
        public_key: "pQECAyZx7di5Nnh4H7V3OJ"
        relying_party_identifier: login.example.com
"""
# what `mfasync export` writes: pinned methods only, users by id
EXPORTED = """\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - type: phone
        id: "phone|dev_Xw2bWmLxyN9rTq4P"
        name: Mobile
      - type: totp
        id: "totp|dev_Q2bWmLxyN9rTq4Pa"
"""


def _imported(tmp_path: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules loaded by `mfasync ARGS` run in a process of its own, and how it ended."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    return set(json.loads(out.read_text())), done


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The `names` (packages: with any of their modules) found in `modules`."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["validate", "--help"]])
def test_help_and_version_import_no_command_and_no_pydantic(
    tmp_path: Path, args: list[str]
) -> None:
    modules, done = _imported(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert _loaded(modules, NEVER_FOR_HELP if args[0] != "validate" else NEVER_FOR_VALIDATE) == []
    commands = sorted(m for m in modules if m.endswith("_cmd"))
    assert commands == ([] if args[0] != "validate" else ["mfasync.cli.validate_cmd"])


def test_validate_imports_neither_planner_nor_network_nor_database(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(HAND_WRITTEN)
    modules, done = _imported(tmp_path, "validate", "team.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 file, 3 users, 0 errors, 1 warning"
    assert _loaded(modules, NEVER_FOR_VALIDATE) == []
    # the probe sees what was used: numbers and addresses were checked
    assert _loaded(modules, ("phonenumbers", "email_validator", "mfasync.manifests")) == [
        "phonenumbers",
        "email_validator",
        "mfasync.manifests",
    ]


def test_validate_of_pinned_methods_loads_no_phone_or_email_library(tmp_path: Path) -> None:
    # phonenumbers and email-validator load when a number or an address is first checked
    (tmp_path / "exported.yaml").write_text(EXPORTED)
    modules, done = _imported(tmp_path, "validate", "exported.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 file, 1 user, 0 errors, 0 warnings"
    assert _loaded(modules, (*NEVER_FOR_VALIDATE, "phonenumbers", "email_validator")) == []


def test_an_invalid_phone_or_email_still_gets_its_own_message(tmp_path: Path) -> None:
    # the lazily imported libraries still word the problems, as before
    (tmp_path / "bad.yaml").write_text(
        HAND_WRITTEN.replace("+14155550142", "+1415").replace("bob@example.com", "bob@", 1)
    )
    modules, done = _imported(tmp_path, "validate", "bad.yaml")
    assert done.returncode == 1
    assert "'phone_number' is not a valid number for its country code" in done.stdout
    assert "'email' is not a valid email address" in done.stdout
    assert _loaded(modules, NEVER_FOR_VALIDATE) == []
