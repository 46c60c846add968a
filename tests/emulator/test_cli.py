"""`mfasync emulator`: prints where it listens and how to use it, serves, stops on Ctrl-C."""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import sys
import urllib.request

from click.testing import CliRunner

from mfasync.cli import main

SEED = 'users:\n  - user_id: "auth0|alice"\n    methods:\n      - {type: push}\n'


def _restore_sigint() -> None:
    # A child of a background job inherits an ignored SIGINT; Ctrl-C must reach this one.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_emulator_command_prints_the_environment_serves_and_stops_on_ctrl_c(
    tmp_path: pathlib.Path,
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED, encoding="utf-8")
    command = [sys.executable, "-m", "mfasync", "emulator", "--port", "0", "--seed", str(seed)]
    command += ["--client-id", "cid", "--client-secret", "csecret", "--burst", "5"]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_restore_sigint,
    ) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        domain = lines[0].removeprefix("export AUTH0_DOMAIN=")
        assert domain.startswith("http://127.0.0.1:")
        assert lines[1:] == ["export AUTH0_CLIENT_ID=cid", "export AUTH0_CLIENT_SECRET=csecret"]
        body = {
            "grant_type": "client_credentials",
            "client_id": "cid",
            "client_secret": "csecret",
            "audience": f"{domain}/api/v2/",
        }
        request = urllib.request.Request(
            f"{domain}/oauth/token",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.load(response)["access_token"]
        listing = urllib.request.Request(
            f"{domain}/api/v2/users/auth0%7Calice/authentication-methods",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(listing, timeout=10) as response:
            assert [m["type"] for m in json.load(response)] == ["push"]
            assert response.headers["x-ratelimit-limit"] == "5"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "listening on http://127.0.0.1:" in stderr
    assert "Emulator stopped." in stderr


def test_emulator_command_rejects_a_broken_seed_file(tmp_path: pathlib.Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("users: [{email: x@example.com}]\n", encoding="utf-8")
    result = CliRunner().invoke(main.cli, ["emulator", "--port", "0", "--seed", str(seed)])
    assert result.exit_code == 2
    assert "each user needs a string user_id" in result.output
