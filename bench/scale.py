"""Benchmark 4, scale: 100,000 users (5,000 with --quick).

(a) `mfasync validate` (in-process) against a bare `yaml.load` with the C loader of the same file,
    the migration-shaped manifest of `bench/bench_validate.py` (a phone and a totp reference per
    user). Target: <= 3x.
(b) `mfasync plan` against an in-sync emulator with no rate limit, against `bench.baseline` (a
    minimal aiohttp client sending the same first-page request per user) at the same concurrency.
    The emulator runs in its own process (`bench.server`) and so does each client, so client and
    server each get one of the two cores; the server measures requests per second (first to last
    request it saw), so the client's start-up and manifest loading are left out. The baseline runs
    before and after mfasync and the mean counts (the machine is shared and noisy).
    Target: mfasync >= 0.7x the baseline's reads per second.
(c) Peak RSS of that `mfasync plan` process (os.wait4's ru_maxrss). Target: <= 1 GB. The clients
    are started by a small launcher process, not by this one: a child's ru_maxrss starts at the
    high-water mark of the process that started it (vfork and exec carry it over), and this
    process grows to about 1 GB while it validates and writes 100,000 users. Measured for
    the one-file manifest, and again for the layout `mfasync import` writes: the same users in
    files of 1,000 (`users-0001.yaml`...), written by `manifests.dump_users`.
Then, for context, a cost ladder measured in this process against the same server: the baseline,
mfasync's API client alone, with the rate governor, and the whole read-and-plan pipeline, so a gap
in (b) can be attributed. The bearer token is made up here and passed through the environment only.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import yaml
from pydantic import SecretStr

from bench import baseline, bench_validate, harness, server, tenant
from mfasync import api, executing, manifests, models, secretrefs, settings
from mfasync.importers import writing

VALIDATE_TARGET = 3.0
READS_TARGET = 0.7
RSS_TARGET_MB = 1024.0
MAX_RPS = 1_000_000.0  # the CLI's highest cap: no limit is announced, the client must be the limit
LADDER_USERS = 10_000
USERS_PER_FILE = 1_000  # `mfasync import`'s default --users-per-file


def validate(users: int, folder: Path) -> list[harness.Row]:
    path = folder / "migration.yaml"
    path.write_text(bench_validate.manifest_text(users))
    size_mb = path.stat().st_size / 1e6
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    runs = 3 if users <= 20_000 else 1
    bare = bench_validate.best_of(runs, lambda: yaml.load(path.read_text(), Loader=loader))
    timings, code = [], 0
    for _ in range(runs):
        result = tenant.run_cli(["validate", str(path)])
        timings.append(result.seconds)
        code = code or result.code
    checked = min(timings)
    ratio = checked / bare
    return [
        harness.Row(
            "scale",
            f"{users:,} users",
            "validate / bare CSafeLoader parse",
            f"{ratio:.2f}x ({checked:.2f} s / {bare:.2f} s)",
            f"<= {VALIDATE_TARGET:g}x",
            code == 0 and ratio <= VALIDATE_TARGET,
            f"{size_mb:.1f} MB manifest, best of {runs}, `mfasync validate` exit {code}, "
            f"C loader: {loader is not yaml.SafeLoader}",
        )
    ]


@contextmanager
def emulator_process(users: int, env: dict[str, str]) -> Iterator[tuple[str, IO[str], IO[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(users)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        ready = process.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise RuntimeError("the emulator process did not start")
        yield ready[1], process.stdin, process.stdout
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def _ask(stdin: IO[str], stdout: IO[str], command: str) -> dict[str, Any]:
    stdin.write(command + "\n")
    stdin.flush()
    answer: dict[str, Any] = json.loads(stdout.readline())
    return answer


# Runs one client per request line ({"argv", "env"}) and answers {"code", "maxrss_kb", "errors"}.
# Standard library only, so that its own high-water mark (what its children start from) is small.
_LAUNCHER = """
import json, os, subprocess, sys
for line in sys.stdin:
    job = json.loads(line)
    child = subprocess.Popen(
        job["argv"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=job["env"], text=True
    )
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    answer = {"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}
    print(json.dumps(dict(answer, errors=errors[-300:])), flush=True)
"""


@contextmanager
def launcher() -> Iterator[tuple[IO[str], IO[str]]]:
    """The launcher process (see (c) above). Its exec gives it a fresh, small high-water mark."""
    process = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        yield process.stdin, process.stdout
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def _measured(
    control: tuple[IO[str], IO[str]],
    command: list[str],
    env: dict[str, str],
    *,
    spawn: tuple[IO[str], IO[str]],
) -> tuple[float, int, int, float]:
    """Run a client process; (server-side reads/s, requests seen, exit code, peak RSS in MB)."""
    _ask(*control, "reset")
    done = _ask(*spawn, json.dumps({"argv": command, "env": env}))
    if done["code"]:
        harness.say(f"  exit {done['code']}: {done['errors']}")
    stats = _ask(*control, "stats")
    rate = stats["requests"] / stats["span_s"] if stats["span_s"] else 0.0
    return rate, stats["requests"], done["code"], done["maxrss_kb"] / 1024.0


def in_sync_manifest(users: int, path: Path) -> Path:
    return tenant.write_manifest(
        path,
        (
            tenant.phone_user(
                server.USER_ID_FORMAT.format(index=i),
                server.PHONE_FORMAT.format(index=i),
                server.PHONE_NAME,
            )
            for i in range(users)
        ),
    )


def import_layout(users: int, folder: Path) -> Path:
    """The in-sync users as `mfasync import` writes them: files of USERS_PER_FILE users."""
    folder.mkdir()
    names = writing.manifest_names(users, users_per_file=USERS_PER_FILE)
    for index, name in enumerate(names):
        first = index * USERS_PER_FILE
        chunk = [
            models.DesiredUser(
                user_id=server.USER_ID_FORMAT.format(index=i),
                methods=(
                    models.DesiredMethod(
                        type=models.MethodType.PHONE,
                        name=server.PHONE_NAME,
                        phone_number=server.PHONE_FORMAT.format(index=i),
                    ),
                ),
            )
            for i in range(first, min(users, first + USERS_PER_FILE))
        ]
        (folder / name).write_text(manifests.dump_users(chunk))
    return folder


def plan_memory(
    users: int, concurrency: int, *, control: tuple[IO[str], IO[str]], env: dict[str, str],
    manifest: Path, spawn: tuple[IO[str], IO[str]],
) -> list[harness.Row]:  # fmt: skip
    """Peak RSS of `mfasync plan` over the import layout (reads/s in the note, no baseline)."""
    files = len(list(manifest.glob("*.yaml")))
    case = f"{users:,} users in {files} files (import layout), concurrency {concurrency}"
    plan_cmd = [
        sys.executable, "-m", "mfasync", "-q", "plan", str(manifest),
        "--concurrency", str(concurrency), "--max-rps", f"{MAX_RPS:g}",
    ]  # fmt: skip
    harness.say(f"scale: mfasync plan; {case}")
    rate, seen, code, rss_mb = _measured(control, plan_cmd, env, spawn=spawn)
    ok = code == 0 and seen == users
    return [
        harness.Row(
            "scale",
            case,
            "plan peak RSS",
            f"{rss_mb:,.0f} MB ({rss_mb * 1024 / users:.1f} KB/user)",
            f"<= {RSS_TARGET_MB:,.0f} MB",
            ok and rss_mb <= RSS_TARGET_MB,
            f"plan exit {code}, {seen:,} requests, {rate:,.0f} reads/s",
        )
    ]


def plan_vs_baseline(
    users: int, concurrency: int, *, url: str, control: tuple[IO[str], IO[str]],
    env: dict[str, str], manifest: Path, spawn: tuple[IO[str], IO[str]],
) -> list[harness.Row]:  # fmt: skip
    case = f"{users:,} users, concurrency {concurrency}"
    base_cmd = [sys.executable, "-m", "bench.baseline", url, str(users), str(concurrency)]
    plan_cmd = [
        sys.executable, "-m", "mfasync", "-q", "plan", str(manifest),
        "--concurrency", str(concurrency), "--max-rps", f"{MAX_RPS:g}",
    ]  # fmt: skip
    harness.say(f"scale: baseline, then mfasync plan, then baseline; {case}")
    before, _, base_code, _ = _measured(control, base_cmd, env, spawn=spawn)
    start = time.perf_counter()
    rate, seen, code, rss_mb = _measured(control, plan_cmd, env, spawn=spawn)
    wall = time.perf_counter() - start
    after, _, base_code2, _ = _measured(control, base_cmd, env, spawn=spawn)
    base = (before + after) / 2
    ratio = rate / base if base else 0.0
    ok = code == 0 and seen == users and base_code == base_code2 == 0
    return [
        harness.Row(
            "scale",
            case,
            "plan reads/s / baseline reads/s",
            f"{ratio:.2f}x ({rate:,.0f} / {base:,.0f})",
            f">= {READS_TARGET:g}x",
            ok and ratio >= READS_TARGET,
            f"baseline {before:,.0f} before and {after:,.0f} after; plan exit {code} "
            f"(0: in sync), {seen:,} requests for {users:,} users, {wall:.1f} s wall in all "
            "(start-up and manifest loading included)",
        ),
        harness.Row(
            "scale",
            case,
            "plan peak RSS",
            f"{rss_mb:,.0f} MB ({rss_mb * 1024 / users:.1f} KB/user)",
            f"<= {RSS_TARGET_MB:,.0f} MB",
            ok and rss_mb <= RSS_TARGET_MB,
        ),
    ]


async def _ladder(url: str, token: str, users: int, concurrency: int) -> list[tuple[str, float]]:
    connection = settings.ConnectionSettings(domain=url, access_token=SecretStr(token))
    ids = [server.USER_ID_FORMAT.format(index=i) for i in range(users)]
    rate = settings.RateSettings(max_rps=MAX_RPS, concurrency=concurrency)

    async def client_only(governor: executing.RateGovernor | None) -> float:
        async with api.Client(connection, hooks=governor) as client:
            pending = iter(ids)

            async def worker() -> None:
                for user_id in pending:
                    await client.list_methods(user_id)

            start = time.perf_counter()
            async with asyncio.TaskGroup() as group:
                for _ in range(concurrency):
                    group.create_task(worker())
            return users / (time.perf_counter() - start)

    async def pipeline() -> float:
        desired = [
            models.DesiredUser(
                user_id=user_id,
                methods=(
                    models.DesiredMethod(
                        type=models.MethodType.PHONE,
                        name=server.PHONE_NAME,
                        phone_number=server.PHONE_FORMAT.format(index=i),
                    ),
                ),
            )
            for i, user_id in enumerate(ids)
        ]
        run = settings.RunSettings(rate=rate)
        governor = executing.RateGovernor(rate)
        async with api.Client(connection, hooks=governor) as client:
            start = time.perf_counter()
            await executing.plan_users(
                desired, backend=client, policy=models.Policy(), settings=run,
                resolver=secretrefs.Resolver({}), governor=governor,
            )  # fmt: skip
            return users / (time.perf_counter() - start)

    raw = await baseline.read_all(url, users, concurrency, token)
    return [
        ("minimal aiohttp client", users / raw["seconds"]),
        ("api.Client.list_methods", await client_only(None)),
        ("+ rate governor", await client_only(executing.RateGovernor(rate))),
        ("+ pipeline and planner (plan_users)", await pipeline()),
    ]


def run(*, quick: bool) -> list[harness.Row]:
    users = 5_000 if quick else 100_000
    concurrencies = (settings.RateSettings().concurrency,) if quick else (8, 32)
    token = secrets.token_urlsafe(24)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    env[server.TOKEN_ENV] = token
    rows: list[harness.Row] = []
    with tempfile.TemporaryDirectory() as name, launcher() as spawn:
        folder = Path(name)
        harness.say(f"scale: validate {users:,} users")
        rows += validate(users, folder)
        manifest = in_sync_manifest(users, folder / "in-sync.yaml")
        layout = import_layout(users, folder / "imported")
        client_env = dict(env, AUTH0_ACCESS_TOKEN=token)
        harness.say(f"scale: starting an emulator process with {users:,} users")
        with emulator_process(users, env) as (url, stdin, stdout):
            client_env["AUTH0_DOMAIN"] = url
            for concurrency in concurrencies:
                rows += plan_vs_baseline(
                    users, concurrency, url=url, control=(stdin, stdout), env=client_env,
                    manifest=manifest, spawn=spawn,
                )  # fmt: skip
            rows += plan_memory(
                users, concurrencies[0], control=(stdin, stdout), env=client_env,
                manifest=layout, spawn=spawn,
            )  # fmt: skip
            ladder_users = min(users, LADDER_USERS)
            concurrency = concurrencies[0]
            harness.say(f"scale: cost ladder in-process, {ladder_users:,} users")
            ladder = asyncio.run(_ladder(url, token, ladder_users, concurrency))
    top = ladder[0][1]
    for label, per_s in ladder:
        rows.append(
            harness.Row(
                "scale",
                f"ladder: {ladder_users:,} users, concurrency {concurrency}",
                label,
                f"{per_s:,.0f} reads/s ({1e6 / per_s:.0f} us/user, {per_s / top:.2f}x)",
            )
        )
    harness.say(f"scale: harness peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} KB")
    return rows
