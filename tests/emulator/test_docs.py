"""The emulator is usable from the docs alone: the README's offline commands work as written
against `examples/emulator-seed.yaml`, and `docs/emulator.md` names every seed key, flag and route.

The commands are read from README.md and docs/emulator.md, not copied here, so the test breaks
when the docs drift from the code.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import click
import pytest
import yaml

from mfasync import emulator
from mfasync.cli import emulator_cmd, main, plan_cmd
from mfasync.emulator import app, seed
from mfasync.emulator.context import Context

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs" / "emulator.md"
OFFLINE_HEADING = "## Trying it offline"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _section(text: str, heading: str) -> str:
    assert heading in text, f"{heading!r} is missing"
    rest = text.split(heading, 1)[1]
    return re.split(r"^## ", rest, maxsplit=1, flags=re.MULTILINE)[0]


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(text) if lang == language]


def _commands(block: str) -> list[list[str]]:
    """The block's command lines, split as a shell would (comments dropped)."""
    return [words for line in block.splitlines() if (words := shlex.split(line, comments=True))]


@dataclass(frozen=True)
class Offline:
    """The README's offline recipe: the emulator line, the exported variables, the plan line."""

    emulator: list[str]
    env: dict[str, str]
    plan: list[str]


def _offline_recipe() -> Offline:
    block = _blocks(_section(README.read_text(encoding="utf-8"), OFFLINE_HEADING), "sh")[0]
    emulator_line: list[str] | None = None
    plan_line: list[str] | None = None
    env: dict[str, str] = {}
    for words in _commands(block):
        if words[:2] == ["mfasync", "emulator"]:
            emulator_line = words[:-1] if words[-1] == "&" else words
        elif words[0] == "export":
            env.update(word.split("=", 1) for word in words[1:])  # type: ignore[misc]
        elif words[:2] == ["mfasync", "plan"]:
            plan_line = words
        else:
            pytest.fail(f"the README's offline block has a line this test does not know: {words}")
    assert emulator_line is not None, "no `mfasync emulator` line in the offline block"
    assert plan_line is not None, "no `mfasync plan` line in the offline block"
    return Offline(emulator=emulator_line, env=env, plan=plan_line)


def _mfasync(words: list[str]) -> list[str]:
    assert words[0] == "mfasync"
    return [sys.executable, "-m", "mfasync", *words[1:]]


def _restore_sigint() -> None:
    # A child of a background job inherits an ignored SIGINT; Ctrl-C must reach this one.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _clean_environment() -> dict[str, str]:
    # As on a fresh shell: no AUTH0_* or MFASYNC_* variable (no TOTP seed, no state, no config).
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AUTH0_", "MFASYNC_", "_MFASYNC"))
    }


def _listening_port(words: list[str]) -> int:
    """The port the README's emulator line listens on: its `--port`, or the flag's default."""
    for index, word in enumerate(words):
        if word == "--port":
            return int(words[index + 1])
        if word.startswith("--port="):
            return int(word.split("=", 1)[1])
    port = next(p for p in emulator_cmd.command.params if p.name == "port")
    assert isinstance(port.default, int)
    return port.default


@dataclass(frozen=True)
class Running:
    recipe: Offline
    url: str
    checkout: pathlib.Path

    def env(self) -> dict[str, str]:
        """The README's variables, with the documented address swapped for the real one."""
        documented = f"http://127.0.0.1:{_listening_port(self.recipe.emulator)}"
        assert self.recipe.env.get("AUTH0_DOMAIN") == documented
        return {**_clean_environment(), **self.recipe.env, "AUTH0_DOMAIN": self.url}

    def run(self, words: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _mfasync(words),
            cwd=self.checkout,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def readme_emulator(tmp_path: pathlib.Path) -> Iterator[Running]:
    """The README's emulator line, run in a copy of the checkout, on a free port (a test must
    not take 8080 from another one); everything else as written."""
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "manifests", checkout / "manifests")
    shutil.copytree(ROOT / "examples", checkout / "examples")
    recipe = _offline_recipe()
    with subprocess.Popen(
        [*_mfasync(recipe.emulator), "--port", "0"],
        cwd=checkout,
        env=_clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_sigint,
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        try:
            assert first.startswith("export AUTH0_DOMAIN=http://127.0.0.1:"), first
            yield Running(recipe, first.removeprefix("export AUTH0_DOMAIN="), checkout)
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=10)


def test_the_readme_plan_works_as_written_against_the_example_seed(
    readme_emulator: Running,
) -> None:
    planned = readme_emulator.run(readme_emulator.recipe.plan)
    assert "--detailed-exitcode" in readme_emulator.recipe.plan
    assert planned.returncode == plan_cmd.EXIT_CHANGES, planned.stdout + planned.stderr
    assert ", 0 errors." in planned.stdout
    assert "error" not in planned.stderr.lower()
    assert "Traceback" not in planned.stderr
    # The same plan as JSON: every user of manifests/ exists in the seed, and the mix is real.
    as_json = readme_emulator.run([*readme_emulator.recipe.plan, "--format", "json"])
    document = json.loads(as_json.stdout)
    assert [user["error"] for user in document["users"] if user["error"]] == []
    summary = document["summary"]
    assert summary["errors"] == 0
    assert summary["users"] == 6
    assert 0 < summary["users_with_changes"] < summary["users"]
    assert summary["create"] > 0
    assert summary["patch"] > 0
    assert summary["delete"] > 0


def test_the_documented_token_request_and_enrolment_work(readme_emulator: Running) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    documented = f"http://127.0.0.1:{_listening_port(readme_emulator.recipe.emulator)}"
    token_body = re.search(r"-d '(\{\"grant_type\".*?\})'", docs)
    assert token_body is not None, "the JSON token request is missing from docs/emulator.md"
    body = json.loads(token_body.group(1).replace(documented, readme_emulator.url))
    assert body["client_secret"] == readme_emulator.recipe.env["AUTH0_CLIENT_SECRET"]
    token = _post(f"{readme_emulator.url}/oauth/token", body)["access_token"]
    enrolment = re.search(r"/admin/enrollments .*?-d '(\{.*?\})'", docs, re.DOTALL)
    assert enrolment is not None, "the enrolment example is missing from docs/emulator.md"
    stored = _post(
        f"{readme_emulator.url}/admin/enrollments", json.loads(enrolment.group(1)), token=token
    )
    assert stored["method"]["type"] == "phone"
    drifted = readme_emulator.run(["mfasync", "drift", "manifests/"])
    assert drifted.returncode == 2, drifted.stdout + drifted.stderr
    assert "error" not in drifted.stderr.lower()


def _post(url: str, body: object, *, token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    assert isinstance(answer, dict)
    return answer


def test_every_seed_used_in_the_readme_is_shipped() -> None:
    seeds = re.findall(r"--seed\s+(\S+)", README.read_text(encoding="utf-8"))
    assert seeds
    for path in seeds:
        assert (ROOT / path).is_file(), f"the README seeds from {path}, which is not shipped"


def test_the_seed_tables_document_exactly_the_keys_the_loader_knows() -> None:
    section = _section(DOCS.read_text(encoding="utf-8"), "## The seed format")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))
    known = {*seed.SEED_KEYS, *seed.USER_KEYS, *seed.METHOD_KEYS}
    assert known - documented == set(), "seed keys without docs"
    assert documented - known == set(), "documented seed keys the loader does not know"


def test_the_documented_seed_example_loads_and_uses_every_key() -> None:
    section = _section(DOCS.read_text(encoding="utf-8"), "## The seed format")
    examples = [yaml.safe_load(block) for block in _blocks(section, "yaml")]
    assert examples
    used: set[str] = set()
    for example in examples:
        emulator.seed_mapping(emulator.State(), example)  # raises on a bad example
        used.update(example)
        for user in example["users"]:
            used.update(user)
            for method in user.get("methods", []):
                used.update(method)
    assert {*seed.SEED_KEYS, *seed.USER_KEYS, *seed.METHOD_KEYS} - used == set()


def test_an_unknown_seed_key_is_refused_with_its_place() -> None:
    with pytest.raises(ValueError, match=r"users\[0\]: unknown key 'methds'"):
        emulator.seed_mapping(emulator.State(), {"users": [{"user_id": "a|b", "methds": []}]})
    with pytest.raises(ValueError, match="unknown key 'user'"):
        emulator.seed_mapping(emulator.State(), {"user": []})


def test_every_emulator_flag_is_documented() -> None:
    table = _section(DOCS.read_text(encoding="utf-8"), "## Flags")
    command = main.cli.get_command(click.Context(main.cli), "emulator")  # as the CLI has it
    assert command is not None
    flags = [
        flag
        for param in command.params
        if isinstance(param, click.Option)
        for flag in (*param.opts, *param.secondary_opts)
    ]
    assert "--seed" in flags
    missing = [flag for flag in flags if not re.search(rf"`{re.escape(flag)}[ `]", table)]
    assert missing == []


def test_every_route_of_the_emulator_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    application = app.build(Context.build(emulator.Config(), emulator.State()))
    routes = {
        (route.method, route.resource.canonical)
        for route in application.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    assert ("POST", "/admin/enrollments") in routes
    missing = sorted(f"{verb} {path}" for verb, path in routes if f"`{verb} {path}`" not in docs)
    assert missing == []
