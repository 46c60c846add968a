"""The config file (`mfasync.toml`, `--config`, `MFASYNC_CONFIG`) and `mfasync config`.

Precedence flag > environment > file > default, observed through `mfasync config` and through
real commands (`plan` against an emulator, `state list`); every refusal; secrets never shown.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from mfasync import emulator
from mfasync.cli import config_file, config_keys
from mfasync.cli.main import cli

MANIFEST = """\
version: 1
users:
  - user_id: "auth0|bob"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550456"
"""
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test in its own working directory, without the caller's AUTH0_* or config file."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "AUTH0_DOMAIN",
        "AUTH0_CLIENT_ID",
        "AUTH0_CLIENT_SECRET",
        "AUTH0_ACCESS_TOKEN",
        "AUTH0_AUDIENCE",
        config_file.ENV_CONFIG,
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    state = emulator.State(random_seed=2)
    emulator.seed_mapping(
        state,
        {
            "users": [
                {
                    "user_id": "auth0|bob",
                    "methods": [{"type": "phone", "name": "SMS", "phone_number": "+14155550456"}],
                }
            ]
        },
    )
    with emulator.run_in_thread(emulator.Config(), state) as running:
        yield running


def write(text: str, name: str = "mfasync.toml") -> Path:
    path = Path(name)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def settings(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`mfasync config --format json ARGS`: key -> {value, source}."""
    result = run("config", "--format", "json", *args, env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    found: dict[str, Any] = document["settings"]
    return found


def errors_of(result: Result) -> list[str]:
    assert result.exit_code == 1, result.output
    return [line for line in result.stderr.splitlines() if line]


# --- the index the file is checked against -------------------------------------------------


def test_the_index_of_keys_is_the_real_commands_options() -> None:
    context = click.Context(cli)
    real: dict[str, list[str]] = {}
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        assert command is not None
        for path, leaf in config_file.leaves(name, command):
            for param in leaf.params:
                key = config_file.configurable(param)
                if key is not None:
                    real.setdefault(key, []).append(path)
    expected = {key: tuple(sorted(paths)) for key, paths in sorted(real.items())}
    table = "\n".join(f"    {key!r}: {paths!r}," for key, paths in expected.items())
    assert expected == config_keys.KEYS, f"paste into config_keys.KEYS:\n{table}"


# --- precedence ------------------------------------------------------------------------------


def test_file_then_env_then_flag_each_wins_over_the_one_before() -> None:
    write('domain = "file.eu.auth0.com"\nconcurrency = 4\nmax-rps = 20\n')
    found = settings()
    assert found["domain"] == {"value": "file.eu.auth0.com", "source": "file ./mfasync.toml"}
    assert found["concurrency"] == {"value": 4, "source": "file ./mfasync.toml"}
    assert found["lock-timeout"] == {"value": 0.0, "source": "default"}

    env = {"AUTH0_DOMAIN": "env.eu.auth0.com"}
    found = settings(env=env)
    assert found["domain"] == {"value": "env.eu.auth0.com", "source": "env AUTH0_DOMAIN"}

    found = settings("--domain", "flag.eu.auth0.com", "--concurrency", "3", env=env)
    assert found["domain"] == {"value": "flag.eu.auth0.com", "source": "flag"}
    assert found["concurrency"] == {"value": 3, "source": "flag"}
    assert found["max-rps"] == {"value": 20.0, "source": "file ./mfasync.toml"}


def test_a_command_table_overrides_the_top_level_for_that_command_only() -> None:
    write('concurrency = 4\nlock-timeout = 30\n[plan]\nconcurrency = 2\nformat = "markdown"\n')
    plan = settings("plan")
    assert plan["concurrency"] == {"value": 2, "source": "file ./mfasync.toml [plan]"}
    assert plan["format"]["value"] == "markdown"
    assert "lock-timeout" not in plan  # plan has no --lock-timeout
    drift = settings("drift")
    assert drift["concurrency"] == {"value": 4, "source": "file ./mfasync.toml"}
    assert drift["format"] == {"value": "text", "source": "default"}
    assert settings("apply")["lock-timeout"] == {"value": 30.0, "source": "file ./mfasync.toml"}
    assert settings()["concurrency"]["value"] == 4


def test_plan_reads_the_domain_and_credentials_id_from_the_file(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    write(MANIFEST, "team.yaml")
    write(f'domain = "{emu.url}"\nclient-id = "{emu.client_id}"\nconcurrency = 2\n')
    secret = {"AUTH0_CLIENT_SECRET": emu.client_secret}
    result = run("plan", "team.yaml", env=secret)
    assert result.exit_code == 0, result.output
    assert '~ phone "Work phone" (...0456)  name: "SMS" -> "Work phone"' in result.stdout
    assert emu.stats.total() > 0


def test_plan_takes_the_env_over_the_file_and_the_flag_over_both(emu: emulator.Emulator) -> None:
    write(MANIFEST, "team.yaml")
    write(f'domain = "{UNREACHABLE}"\nclient-id = "{emu.client_id}"\n')
    env = {"AUTH0_CLIENT_SECRET": emu.client_secret}
    assert run("plan", "team.yaml", env={**env, "AUTH0_DOMAIN": emu.url}).exit_code == 0
    flagged = run(
        "plan", "team.yaml", "--domain", emu.url, env={**env, "AUTH0_DOMAIN": UNREACHABLE}
    )
    assert flagged.exit_code == 0, flagged.output


def test_a_bad_value_in_the_plan_table_stops_plan_and_not_validate() -> None:
    write(MANIFEST, "team.yaml")
    flag = run("plan", "team.yaml", "--concurrency", "0")
    assert flag.exit_code == 2
    assert "Invalid value for '--concurrency': 0 is not in the range 1<=x<=256." in flag.stderr
    write("[plan]\nconcurrency = 0\n")
    assert run("validate", "team.yaml").exit_code == 0
    # the same words as the flag's error, naming the file and the key
    assert errors_of(run("plan", "team.yaml")) == [
        "Error: ./mfasync.toml: [plan] concurrency: 0 is not in the range 1<=x<=256."
    ]


def test_state_list_reads_the_state_from_the_file_under_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MFASYNC_STATE")
    write('state = "sqlite:///from-file/state.db"\ndomain = "tenant.eu.auth0.com"\n')
    result = run("state", "list")  # an MfasyncError: main() prints it, CliRunner keeps it
    assert "there is no state at sqlite:///from-file/state.db" in str(result.exception)
    result = run("state", "list", env={"MFASYNC_STATE": "sqlite:///from-env/state.db"})
    assert "there is no state at sqlite:///from-env/state.db" in str(result.exception)
    result = run("state", "list", "--state", "sqlite:///from-flag/state.db")
    assert "there is no state at sqlite:///from-flag/state.db" in str(result.exception)
    found = settings("state", "list")
    assert found["state"] == {
        "value": "sqlite:///from-file/state.db",
        "source": "file ./mfasync.toml",
    }
    assert found["domain"]["source"] == "file ./mfasync.toml"


# --- which file ------------------------------------------------------------------------------


def test_config_and_mfasync_config_name_the_file_and_the_flag_wins() -> None:
    write("concurrency = 5\n", "team.toml")
    write("concurrency = 6\n", "other.toml")
    write("concurrency = 7\n")  # the default file is not read when one is named
    by_env = run("config", "--format", "json", env={config_file.ENV_CONFIG: "team.toml"})
    document = json.loads(by_env.stdout)
    assert document["config_file"] == {"path": "team.toml", "from": "MFASYNC_CONFIG"}
    assert document["settings"]["concurrency"] == {"value": 5, "source": "file team.toml"}
    by_flag = run(
        "--config", "other.toml", "config", "--format", "json", env={"MFASYNC_CONFIG": "team.toml"}
    )
    document = json.loads(by_flag.stdout)
    assert document["config_file"] == {"path": "other.toml", "from": "--config"}
    assert document["settings"]["concurrency"]["value"] == 6
    assert json.loads(run("config", "--format", "json").stdout)["config_file"] == {
        "path": "./mfasync.toml",
        "from": "default",
    }


def test_a_missing_named_file_is_an_error_and_a_missing_default_is_not() -> None:
    assert errors_of(run("--config", "nowhere.toml", "schema")) == [
        "Error: nowhere.toml: no such config file (named by --config)"
    ]
    assert errors_of(run("schema", env={"MFASYNC_CONFIG": "nowhere.toml"})) == [
        "Error: nowhere.toml: no such config file (named by MFASYNC_CONFIG)"
    ]
    assert run("schema").exit_code == 0
    result = run("config")
    assert result.exit_code == 0
    assert result.stdout.startswith("config file: none")


# --- refusals --------------------------------------------------------------------------------

REFUSED = [
    (
        'client-secret = "s3cr3t-value"\n',
        "./mfasync.toml: client-secret = ***: a secret never goes in a config file (it would end "
        "up in Git); set AUTH0_CLIENT_SECRET instead",
    ),
    ('[apply]\naccess-token = "s3cr3t-value"\n', "[apply] access-token = ***: a secret never"),
    ('access-token = "s3cr3t-value"\n', "set AUTH0_ACCESS_TOKEN instead"),
    (
        'state = "postgresql://mfa:s3cr3t-value@db.internal/mfasync"\n',
        "./mfasync.toml: state = postgresql://mfa:***@db.internal/mfasync: a password never goes "
        "in a config file; give it with PGPASSWORD or ~/.pgpass, or put the whole URL in "
        "MFASYNC_STATE",
    ),
    ("max_rps = 5\n", "./mfasync.toml: max_rps: unknown key (did you mean 'max-rps'?)"),
    ("concurency = 5\n", "./mfasync.toml: concurency: unknown key (did you mean 'concurrency'?)"),
    ("[plan]\nlock-timout = 5\n", "[plan] lock-timout: unknown key"),
    (
        "[validate]\nconcurrency = 5\n",
        "./mfasync.toml: [validate] concurrency: validate has no --concurrency (it is an option "
        "of: apply, drift, export, plan)",
    ),
    ("[deploy]\nconcurrency = 5\n", "./mfasync.toml: [deploy]: not a command with options"),
    ("[plann]\nconcurrency = 5\n", "[plann]: not a command with options (did you mean 'plan'?)"),
    ("domain = { host = 1 }\n", "./mfasync.toml: domain: a value, not a table"),
    ('[state]\nformat = "json"\n', "[state]: `state` is the --state URL"),
    ("force = true\n", "./mfasync.toml: force: --force overrides the safety guards for one run"),
    ("[apply]\nyes = true\n", "[apply] yes: --yes is decided per run"),
    ('concurrency = "many"\n', "./mfasync.toml: concurrency: an integer, not a string"),
    ("concurrency = 2.5\n", "./mfasync.toml: concurrency: an integer, not a number"),
    ("incremental = 1\n", "./mfasync.toml: incremental: true or false, not an integer"),
    ('user = "auth0|a"\n', "./mfasync.toml: user: a list, as user = [...]"),
    ("concurrency = 0\n", "./mfasync.toml: concurrency: 0 is not in the range 1<=x<=256."),
    ('[plan]\nformat = "yaml"\n', "[plan] format: 'yaml' is not one of 'text', 'json', 'markdown'"),
    ("concurrency = \n", "./mfasync.toml: not valid TOML: Invalid value (at line 1, column 15)"),
]


@pytest.mark.parametrize(("text", "expected"), REFUSED)
def test_a_refused_file_is_one_line_naming_the_file_and_key(text: str, expected: str) -> None:
    write(text)
    lines = errors_of(run("config"))  # `mfasync config` converts every command's values
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert "s3cr3t-value" not in lines[0]


def test_the_file_is_checked_whatever_command_runs() -> None:
    write('client-secret = "s3cr3t-value"\n')
    result = run("schema")
    assert "set AUTH0_CLIENT_SECRET instead" in result.stderr
    assert "s3cr3t-value" not in result.output


def test_a_state_subcommand_reports_a_bad_top_level_value_once() -> None:
    write('format = "markdown"\n')
    assert errors_of(run("state", "list")) == [
        "Error: ./mfasync.toml: format: 'markdown' is not one of 'text', 'json'."
    ]


def test_every_problem_is_its_own_line() -> None:
    write('max_rps = 5\nforce = true\nclient-secret = "x"\n[deploy]\n[validate]\nsate = 1\n')
    lines = errors_of(run("validate"))
    assert len(lines) == 5, lines
    assert all(line.startswith("Error: ./mfasync.toml: ") for line in lines)


# --- secrets never shown ---------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_secrets_from_the_environment_never_appear_in_mfasync_config(output_format: str) -> None:
    env = {
        "AUTH0_CLIENT_SECRET": "client-s3cr3t",
        "AUTH0_ACCESS_TOKEN": "token-s3cr3t",
        "MFASYNC_STATE": "postgresql://mfa:pg-s3cr3t@db.internal/mfasync",
    }
    for args in ((), ("plan",), ("apply",), ("state", "list")):
        result = run("config", "--format", output_format, *args, env=env)
        assert result.exit_code == 0, result.output
        for secret in ("client-s3cr3t", "token-s3cr3t", "pg-s3cr3t"):
            assert secret not in result.output
        assert "postgresql://mfa:***@db.internal/mfasync" in result.stdout
    text = run("config", env=env).stdout
    assert any(
        line.split()[:3] == ["client-secret", "(set)", "env"] for line in text.splitlines()
    ), text
    found = settings(env=env)
    assert found["client-secret"] == {"value": "(set)", "source": "env AUTH0_CLIENT_SECRET"}
    assert found["access-token"] == {"value": "(set)", "source": "env AUTH0_ACCESS_TOKEN"}
    assert settings()["access-token"] == {"value": None, "source": "default"}


def test_a_secret_flag_is_shown_as_set_too() -> None:
    found = settings("plan", "--client-secret", "flag-s3cr3t")
    assert found["client-secret"] == {"value": "(set)", "source": "flag"}


# --- start-up --------------------------------------------------------------------------------


def test_validate_with_a_config_file_imports_no_other_command(tmp_path: Path) -> None:
    write(MANIFEST, "team.yaml")
    write('state = "sqlite:///x.db"\nconcurrency = 3\n[plan]\nformat = "json"\n')
    probe = """
import sys
from click.testing import CliRunner
from mfasync.cli import main
result = CliRunner().invoke(main.cli, ["validate", "team.yaml"])
assert result.exit_code == 0, result.output
heavy = ("aiohttp", "sqlalchemy", "deepdiff", "rich")
print(sorted(
    m for m in sys.modules
    if m.endswith("_cmd") and m != "mfasync.cli.validate_cmd" or m.split(".")[0] in heavy
))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.stdout.strip() == "[]"
