"""Benchmark 5, the state's cost (issue 15): `python -m bench.run state [--quick]`.

(a) The apply hot path at a 50 rps bucket: the `rate` benchmark's first point (300 users, bucket
    10 @ 50/s, one list and one create each), run with `--state none`, with the SQLite default and
    with PostgreSQL, side by side in one run. Each gets a fresh emulator with the same seed and a
    fresh state. Figure: wall / ideal of each, and the stateful wall over the stateless one.
    Target: <= 1.02x (the state must not slow an apply that the tenant's limit paces).
(b) State write throughput: what a 100,000-user plan records (one listing of two methods per
    user) written through `Store.observe` and `Store.flush`, on each backend. Target >= 5,000
    method rows/s.
(c) Plan of 100,000 users with a populated state: `mfasync plan` (a process of its own, against
    the emulator process of the `scale` benchmark) twice over the same SQLite state; the second
    plan reads a state that holds every user. Figure: its peak RSS. Target <= 300 MB.

PostgreSQL runs need a server: `MFASYNC_BENCH_POSTGRES_URL` (or `MFASYNC_TEST_POSTGRES_URL`) names
a database the benchmark may fill and empty; without one those rows are skipped with a note.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench import harness, rate, scale, server, tenant
from mfasync import emulator, models, state

USERS = 300
BURST, PER_S = 10, 50.0
HOT_PATH_TARGET = 1.02
ROWS_TARGET = 5_000.0
RSS_TARGET_MB = 300.0
PLAN_USERS = 100_000


def _postgres_base() -> str | None:
    return os.environ.get("MFASYNC_BENCH_POSTGRES_URL") or os.environ.get(
        "MFASYNC_TEST_POSTGRES_URL"
    )


def _fresh_postgres(base: str) -> str:
    """A new empty database beside `base` (dropped by `_drop_postgres`)."""
    name = f"mfasync_bench_{secrets.token_hex(4)}"
    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def _apply(state_url: str, folder: Path) -> tuple[float, int, dict[str, int]]:
    """One apply of the rate point; (wall seconds, exit code, request counts)."""
    config = emulator.Config(rate_limit=emulator.RateLimit(burst=BURST, per_s=PER_S))
    manifest = tenant.write_manifest(
        folder / "users.yaml",
        (
            tenant.phone_user(f"auth0|rate{i:05d}", f"+1415555{i:04d}", "Mobile")
            for i in range(USERS)
        ),
    )
    with emulator.run_in_thread(config, rate._seed(USERS)) as emu:
        run = tenant.run_cli(
            [
                "-q", "apply", str(manifest), "--yes", "--state", state_url,
                "--max-rps", str(rate.MAX_RPS), "--concurrency", str(rate.CONCURRENCY),
                *tenant.connection_args(emu),
            ]
        )  # fmt: skip
        return run.seconds, run.code, tenant.api_counts(emu.stats)


def hot_path() -> list[harness.Row]:
    case = f"apply, {USERS} users, bucket {BURST} @ {PER_S:g}/s"
    backends: list[tuple[str, str | None]] = [("none", "none")]
    base = _postgres_base()
    rows: list[harness.Row] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        backends.append(("SQLite", f"sqlite:///{folder / 'state' / 'state.db'}"))
        postgres = _fresh_postgres(base) if base else None
        backends.append(("PostgreSQL", postgres))
        walls: dict[str, float] = {}
        try:
            for label, url in backends:
                if url is None:
                    rows.append(
                        harness.Row("state", case, f"wall / ideal, {label}", "skipped", "",
                                    None, "no PostgreSQL server (MFASYNC_BENCH_POSTGRES_URL)")
                    )  # fmt: skip
                    continue
                harness.say(f"state: {case}, state {label}")
                work = folder / label
                work.mkdir()
                wall, code, counts = _apply(url, work)
                served = counts["list"] + counts["post"] + counts["put"]
                ideal = max(served - BURST, 0) / PER_S
                walls[label] = wall
                rows.append(
                    harness.Row(
                        "state",
                        case,
                        f"wall / ideal, {label}",
                        f"{wall / ideal:.3f} ({wall:.2f} s / {ideal:.2f} s)",
                        "",
                        None if code == 0 else False,
                        f"exit {code}, served {served}, {counts['429']} answered 429",
                    )
                )
        finally:
            if postgres is not None:
                _drop_postgres(postgres)
    for label, wall in walls.items():
        if label == "none":
            continue
        ratio = wall / walls["none"]
        rows.append(
            harness.Row(
                "state",
                case,
                f"wall with {label} / wall stateless",
                f"{ratio:.3f}",
                f"<= {HOT_PATH_TARGET:.2f}",
                ratio <= HOT_PATH_TARGET,
            )
        )
    return rows


async def _write_throughput(url: str, users: int) -> float:
    location = state.parse(url)
    assert location is not None
    store = await state.Store.open(location, tenant="https://bench.eu.auth0.com")
    try:
        await store.load()
        now = datetime.datetime.now(datetime.UTC)
        start = time.perf_counter()
        for i in range(users):
            listing = (
                models.LiveMethod(id=f"phone|dev_{i:07d}", type="phone"),
                models.LiveMethod(id=f"push|dev_{i:07d}", type="push-notification"),
            )
            await store.observe(
                state.observation(
                    f"auth0|bulk{i:07d}",
                    listing,
                    adoptions=[(f"phone|dev_{i:07d}", "f" * 64)],
                    desired_fingerprint="d" * 64,
                    in_sync=True,
                    at=now,
                )
            )
        await store.flush()
        return 2 * users / (time.perf_counter() - start)
    finally:
        await store.close()


def write_throughput(*, quick: bool) -> list[harness.Row]:
    users = 20_000 if quick else PLAN_USERS
    case = f"records of {users:,} listings (2 methods each)"
    rows: list[harness.Row] = []
    base = _postgres_base()
    with tempfile.TemporaryDirectory() as name:
        targets = [("SQLite", f"sqlite:///{Path(name) / 'state.db'}")]
        postgres = _fresh_postgres(base) if base else None
        if postgres is not None:
            targets.append(("PostgreSQL", postgres))
        try:
            for label, url in targets:
                harness.say(f"state: write throughput, {label}, {users:,} users")
                per_s = asyncio.run(_write_throughput(url, users))
                rows.append(
                    harness.Row(
                        "state",
                        case,
                        f"method rows/s, {label}",
                        f"{per_s:,.0f}",
                        f">= {ROWS_TARGET:,.0f}",
                        per_s >= ROWS_TARGET,
                    )
                )
        finally:
            if postgres is not None:
                _drop_postgres(postgres)
    if postgres is None:
        rows.append(
            harness.Row("state", case, "method rows/s, PostgreSQL", "skipped", "", None,
                        "no PostgreSQL server (MFASYNC_BENCH_POSTGRES_URL)")
        )  # fmt: skip
    return rows


def plan_with_state(*, quick: bool) -> list[harness.Row]:
    users = 5_000 if quick else PLAN_USERS
    token = secrets.token_urlsafe(24)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    env[server.TOKEN_ENV] = token
    rows: list[harness.Row] = []
    with tempfile.TemporaryDirectory() as name, scale.launcher() as spawn:
        folder = Path(name)
        layout = scale.import_layout(users, folder / "imported")
        client_env = dict(env, AUTH0_ACCESS_TOKEN=token)
        client_env["MFASYNC_STATE"] = f"sqlite:///{folder / 'state' / 'state.db'}"
        harness.say(f"state: an emulator process with {users:,} users")
        with scale.emulator_process(users, env) as (url, stdin, stdout):
            client_env["AUTH0_DOMAIN"] = url
            command = [
                sys.executable, "-m", "mfasync", "-q", "plan", str(layout),
                "--concurrency", "8", "--max-rps", f"{scale.MAX_RPS:g}",
            ]  # fmt: skip
            for label in ("empty state (records every user)", "populated state"):
                harness.say(f"state: mfasync plan, {users:,} users, {label}")
                start = time.perf_counter()
                reads, seen, code, rss_mb = scale._measured(
                    (stdin, stdout), command, client_env, spawn=spawn
                )
                wall = time.perf_counter() - start
                rows.append(
                    harness.Row(
                        "state",
                        f"plan {users:,} users, SQLite, {label}",
                        "plan peak RSS",
                        f"{rss_mb:,.0f} MB",
                        f"<= {RSS_TARGET_MB:,.0f} MB",
                        code == 0 and seen == users and rss_mb <= RSS_TARGET_MB,
                        f"exit {code}, {seen:,} requests, {reads:,.0f} reads/s, {wall:.1f} s wall",
                    )
                )
    return rows


def run(*, quick: bool) -> list[harness.Row]:
    return [*hot_path(), *write_throughput(quick=quick), *plan_with_state(quick=quick)]
