"""Benchmark 2, against what users run today: a sequential auth0-python script vs `mfasync apply`.

Both get a fresh emulator with the same seed (every user has a push method and needs one phone),
20 ms of latency on every API request and no rate limit. The script is the one-off loop people
write with the official SDK (auth0-python 6.8): for each user, list the methods and create the
phone if none is there. mfasync runs `apply --yes` at its default concurrency, and at a higher one.
Target: mfasync >= 10x faster. Both results are checked (every user ends with its phone), so a
fast wrong answer cannot win.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from auth0.authentication import GetToken
from auth0.management import Auth0

from bench import harness, tenant
from mfasync import emulator, settings

LATENCY_MS = 20.0
SPEEDUP_TARGET = 10.0
HIGH_CONCURRENCY = 32
#: No limit is announced by this tenant, so the only cap is --max-rps: raised as a user would.
HIGH_MAX_RPS = 1000.0


def _user_id(index: int) -> str:
    return f"auth0|sdk{index:05d}"


def _number(index: int) -> str:
    return f"+1415555{index:04d}"


def _fresh(users: int) -> tuple[emulator.Config, emulator.State]:
    state = emulator.State(random_seed=3)
    emulator.seed_mapping(
        state,
        {
            "users": [
                {"user_id": _user_id(i), "methods": [{"type": "push", "name": "Guardian"}]}
                for i in range(users)
            ]
        },
    )
    return emulator.Config(faults=emulator.Faults(latency_ms=LATENCY_MS)), state


def _all_have_phones(emu: emulator.Emulator, users: int) -> bool:
    return all(
        any(m["type"] == "phone" for m in emu.state.methods_of(_user_id(i))) for i in range(users)
    )


def sdk_script(emu: emulator.Emulator, users: int) -> float:
    """The sequential script: token, then per user list (all pages) and create. Wall seconds."""
    start = time.perf_counter()
    host = emu.url.removeprefix("http://")
    token = GetToken(host, emu.client_id, emu.client_secret, protocol="http").client_credentials(
        emu.audience
    )["access_token"]
    sdk = Auth0(base_url=emu.api_url, token=token)
    methods = sdk.users.authentication_methods
    for index in range(users):
        user_id = _user_id(index)
        live = list(methods.list(user_id, per_page=100))
        if not any(method.type == "phone" for method in live):
            methods.create(user_id, type="phone", phone_number=_number(index), name="Mobile")
    return time.perf_counter() - start


def mfasync_apply(
    emu: emulator.Emulator, manifest: Path, *, concurrency: int, max_rps: float
) -> float:
    run = tenant.run_cli(
        [
            "-q",
            "apply",
            str(manifest),
            "--yes",
            "--concurrency",
            str(concurrency),
            "--max-rps",
            f"{max_rps:g}",
            *tenant.connection_args(emu),
        ]
    )
    if run.code != 0:
        raise RuntimeError(f"mfasync apply failed (exit {run.code}): {run.stderr[-300:]}")
    return run.seconds


def run(*, quick: bool) -> list[harness.Row]:
    users = 100 if quick else 300
    case = f"{users} users, {LATENCY_MS:g} ms latency"
    rows: list[harness.Row] = []
    with tempfile.TemporaryDirectory() as folder:
        manifest = tenant.write_manifest(
            Path(folder) / "users.yaml",
            (tenant.phone_user(_user_id(i), _number(i), "Mobile") for i in range(users)),
        )
        harness.say(f"sdk: auth0-python sequential script, {users} users")
        with emulator.run_in_thread(*_fresh(users)) as emu:
            sdk_s = sdk_script(emu, users)
            sdk_ok = _all_have_phones(emu, users)
            sdk_requests = tenant.api_counts(emu.stats)
        rows.append(
            harness.Row(
                "sdk",
                case,
                "auth0-python script",
                f"{sdk_s:.2f} s",
                note=f"{sdk_requests['list']} lists + {sdk_requests['post']} creates, "
                f"all users done: {sdk_ok}",
            )
        )
        defaults = settings.RateSettings()
        # dict.fromkeys: the same settings once, even where the defaults already equal them
        for concurrency, max_rps in dict.fromkeys(
            (
                (defaults.concurrency, defaults.max_rps),
                (defaults.concurrency, HIGH_MAX_RPS),
                (HIGH_CONCURRENCY, HIGH_MAX_RPS),
            )
        ):
            harness.say(
                f"sdk: mfasync apply --concurrency {concurrency} --max-rps {max_rps:g}, "
                f"{users} users"
            )
            with emulator.run_in_thread(*_fresh(users)) as emu:
                seconds = mfasync_apply(emu, manifest, concurrency=concurrency, max_rps=max_rps)
                ok = _all_have_phones(emu, users)
                counts = tenant.api_counts(emu.stats)
            speedup = sdk_s / seconds
            rows.append(
                harness.Row(
                    "sdk",
                    case,
                    f"mfasync apply --concurrency {concurrency} --max-rps {max_rps:g}",
                    f"{seconds:.2f} s = {speedup:.1f}x faster",
                    f">= {SPEEDUP_TARGET:g}x",
                    ok and sdk_ok and speedup >= SPEEDUP_TARGET,
                    f"{counts['list']} lists + {counts['post']} creates, all users done: {ok}"
                    + (
                        " (the defaults: --max-rps caps the run)"
                        if (concurrency, max_rps) == (defaults.concurrency, defaults.max_rps)
                        else ""
                    ),
                )
            )
    return rows
