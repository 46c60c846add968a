"""Claims about the request log: -vv shows one line per HTTP attempt, --log-file keeps them.

Each line: method, path (ids as they are), status, duration, attempt number and the answer's
rate-limit headers; never a body, and no email address in a query. Runs against the emulator.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mfasync import emulator
from mfasync.cli import main

LINE = re.compile(
    r"(?P<method>GET|POST|PUT|PATCH|DELETE) (?P<target>\S+) (?P<status>\d{3}|-) "
    r"(?P<ms>\d+)ms attempt=(?P<attempt>\d+)"
    r"(?: limit=(?P<limit>\d+))?(?: remaining=(?P<remaining>\d+))?(?: reset=(?P<reset>\d+))?"
    r"(?: retry_after=\S+)?(?: error=(?P<error>\w+))?"
)
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
USERS = [f"auth0|u{index}" for index in range(1, 6)]

MANIFEST = "version: 1\nusers:\n" + "".join(
    f'  - user_id: "{user}"\n    methods:\n      - type: phone\n        name: SMS\n'
    f'        phone_number: "+1415555010{index}"\n'
    for index, user in enumerate(USERS, start=1)
)


def _tenant() -> emulator.State:
    state = emulator.State(random_seed=3)
    users = [
        {"user_id": user, "email": f"{user[6:]}@corp.example", "methods": []} for user in USERS
    ]
    emulator.seed_mapping(state, {"users": users})
    return state


def _emulator(**config: object) -> Iterator[emulator.Emulator]:
    with emulator.run_in_thread(emulator.Config(**config), _tenant()) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    yield from _emulator()


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "team.yaml").write_text(MANIFEST, encoding="utf-8")
    return folder


def _connection(emu: emulator.Emulator) -> list[str]:
    return ["--domain", emu.url, "--client-id", emu.client_id, "--client-secret", emu.client_secret]


def _request_lines(text: str) -> list[re.Match[str]]:
    return [match for line in text.splitlines() if (match := LINE.fullmatch(line))]


def _requests_served(emu: emulator.Emulator) -> int:
    return sum(emu.stats.snapshot().values())


def test_vv_plan_shows_one_line_per_request_with_status_duration_attempt_and_limits(
    emu: emulator.Emulator, manifests: Path
) -> None:
    result = CliRunner().invoke(main.cli, ["plan", str(manifests), "-vv", *_connection(emu)])
    assert result.exit_code == 0, result.output
    lines = _request_lines(result.stderr)
    assert len(lines) == _requests_served(emu)  # one line per request, token request included
    token, *reads = lines
    assert (token["method"], token["target"], token["status"]) == ("POST", "/oauth/token", "200")
    assert sorted(match["target"].split("?")[0] for match in reads) == sorted(
        f"/api/v2/users/auth0%7Cu{index}/authentication-methods" for index in range(1, 6)
    )
    for match in reads:
        assert match["method"] == "GET"
        assert match["status"] == "200"
        assert match["attempt"] == "1"
        assert None not in (match["limit"], match["remaining"], match["reset"]), match.group(0)
        assert "page=0&per_page=100&include_totals=true" in match["target"]


def test_a_retried_request_is_logged_once_per_attempt_with_its_number(manifests: Path) -> None:
    # a seeded share of 500/503: a sequential run meets the same faults each time
    for emu in _emulator(faults=emulator.Faults(fail_rate=0.4, seed=2)):
        result = CliRunner().invoke(
            main.cli,
            ["-vv", "plan", str(manifests), "--concurrency", "1", *_connection(emu)],
        )
        assert result.exit_code == 0, result.output
        lines = _request_lines(result.stderr)
        assert len(lines) == _requests_served(emu)
    retried = [match for match in lines if match["attempt"] != "1"]
    assert retried, "the seeded faults retried nothing: pick another seed"
    for match in retried:
        # the attempt before it is logged too, with the failure it met
        earlier = [
            each
            for each in lines
            if each["target"] == match["target"]
            and int(each["attempt"]) == int(match["attempt"]) - 1
        ]
        assert earlier, match.group(0)
        assert earlier[-1]["status"] in ("500", "503"), earlier[-1].group(0)
    assert any(match["attempt"] == "2" for match in retried)


def test_log_file_is_private_and_holds_timestamped_lines_without_vv(
    emu: emulator.Emulator, manifests: Path, tmp_path: Path
) -> None:
    log = tmp_path / "http.log"
    log.write_text("an older log\n", encoding="utf-8")
    log.chmod(0o644)  # replaced, not reused: the new file is private from its creation
    result = CliRunner().invoke(
        main.cli, ["plan", str(manifests), "--log-file", str(log), *_connection(emu)]
    )
    assert result.exit_code == 0, result.output
    assert _request_lines(result.stderr) == []  # without -vv stderr shows no request lines
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    written = log.read_text(encoding="utf-8").splitlines()
    assert "an older log" not in written
    assert len(written) == _requests_served(emu)
    for line in written:
        assert re.match(STAMP, line), line
        assert LINE.fullmatch(re.sub("^" + STAMP, "", line)), line


def test_log_file_before_the_command_name_with_vv_gets_what_stderr_shows(
    emu: emulator.Emulator, manifests: Path, tmp_path: Path
) -> None:
    log = tmp_path / "http.log"
    result = CliRunner().invoke(
        main.cli, ["--log-file", str(log), "-vv", "plan", str(manifests), *_connection(emu)]
    )
    assert result.exit_code == 0, result.output
    shown = [match.group(0) for match in _request_lines(result.stderr)]
    kept = [re.sub("^" + STAMP, "", line) for line in log.read_text().splitlines()]
    assert shown == kept
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600


def test_a_users_by_email_lookup_is_logged_with_the_address_masked(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    (tmp_path / "by-email.yaml").write_text(
        "version: 1\nusers:\n  - email: u1@corp.example\n    methods: []\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        main.cli, ["plan", str(tmp_path / "by-email.yaml"), "-vv", *_connection(emu)]
    )
    assert result.exit_code == 0, result.output
    lookups = [m for m in _request_lines(result.stderr) if "users-by-email" in m["target"]]
    assert [m["target"] for m in lookups] == ["/api/v2/users-by-email?email=****@corp********"]
    assert "u1@corp.example" not in result.stderr
    assert "u1%40corp.example" not in result.stderr


def test_a_request_that_got_no_answer_is_logged_with_its_error_class(
    manifests: Path, tmp_path: Path
) -> None:
    # a free port nobody listens on: the connection is refused, and a refused tenant stops the
    # run after the first attempts (the unreachable budget): a short -vv run
    with emulator.run_in_thread() as emu:
        domain = emu.url
    result = CliRunner().invoke(
        main.cli,
        ["plan", str(manifests), "-vv", "--domain", domain, "--access-token", "tok"],
    )
    assert result.exit_code == 1
    lines = _request_lines(result.stderr)
    assert lines, result.stderr
    assert {match["status"] for match in lines} == {"-"}
    assert {match["error"] for match in lines} == {"ClientConnectorError"}


def test_no_handler_outlives_a_run(emu: emulator.Emulator, manifests: Path, tmp_path: Path) -> None:
    logger = logging.getLogger("mfasync.http")
    before = (list(logger.handlers), logger.level, logger.propagate)
    for args in (["-vv"], ["--log-file", str(tmp_path / "a.log")], ["-vv", "-q"]):
        result = CliRunner().invoke(main.cli, ["plan", str(manifests), *args, *_connection(emu)])
        assert result.exit_code == 0, result.output
        assert (list(logger.handlers), logger.level, logger.propagate) == before
    # a later -q turns -vv's lines off again
    assert _request_lines(result.stderr) == []
