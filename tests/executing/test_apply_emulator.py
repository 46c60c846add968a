"""Integration claims: the executor against the emulator over real sockets, faults on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from mfasync import api, emulator, models, plans, secretrefs, settings
from mfasync.executing import (
    ApplyReport,
    DryRunBackend,
    RateGovernor,
    StopSignal,
    UserStatus,
    apply_plan,
    apply_saved_plan,
    plan_users,
    reports,
)
from tests.executing import scenario

FAST_RETRY = settings.RetrySettings(
    max_attempts=10, backoff_base_s=0.01, backoff_max_s=0.05, rate_limit_max_wait_s=2.0
)


@dataclass
class Run:
    emu: emulator.Emulator
    client: api.Client
    governor: RateGovernor
    settings: settings.RunSettings
    desired: list[models.DesiredUser]
    resolver: secretrefs.Resolver

    async def plan(
        self, policy: models.Policy | None = None, *, fingerprints: bool = False
    ) -> plans.Plan:
        return await plan_users(
            self.desired,
            backend=self.client,
            policy=policy or models.Policy(),
            settings=self.settings,
            resolver=self.resolver,
            governor=self.governor,
            fingerprints=fingerprints,
        )

    async def apply(self, plan: plans.Plan) -> ApplyReport:
        return await apply_plan(
            plan,
            backend=self.client,
            settings=self.settings,
            users=self.desired,
            policy=models.Policy(),
            resolver=self.resolver,
            governor=self.governor,
        )


async def _run(config: emulator.Config, users: int = 24) -> AsyncIterator[Run]:
    seed, desired = scenario.build(users)
    state = scenario.make_state(seed)
    async with emulator.Emulator(config, state) as emu:
        run_settings = settings.RunSettings(
            rate=settings.RateSettings(max_rps=1000.0, concurrency=8), retry=FAST_RETRY
        )
        governor = RateGovernor(run_settings.rate)
        connection = settings.ConnectionSettings(
            domain=emu.url, client_id=emu.client_id, client_secret=SecretStr(emu.client_secret)
        )
        async with api.Client(connection, hooks=governor) as client:
            yield Run(
                emu, client, governor, run_settings, desired, secretrefs.Resolver(scenario.ENVIRON)
            )


@pytest.fixture(params=[3, 4, 5])
async def faulty(request: pytest.FixtureRequest) -> AsyncIterator[Run]:
    config = emulator.Config(
        token_ttl_s=2.0,
        rate_limit=emulator.RateLimit(burst=4, per_s=150.0),
        faults=emulator.Faults(fail_rate=0.1, drop_rate=0.2, seed=request.param),
    )
    async for run in _run(config):
        yield run


@pytest.fixture
async def calm() -> AsyncIterator[Run]:
    async for run in _run(emulator.Config(), users=8):
        yield run


async def test_apply_under_faults_converges_without_duplicates_or_emptied_users(
    faulty: Run,
) -> None:
    plan = await faulty.plan()
    assert plan.summary.as_dict() == {
        "users": 24,
        "users_with_changes": 24,
        "create": 30,
        "patch": 6,
        "delete": 6,
        "replace": 6,
        "errors": 0,
    }
    report = await faulty.apply(plan)
    for _ in range(3):  # a failed user (retries exhausted under faults) converges on a re-run
        if report.ok:
            break
        report = await faulty.apply(await faulty.plan())
    assert report.ok
    replan = await faulty.plan()
    assert replan.summary.users_with_changes == 0
    assert replan.summary.errors == 0
    state = faulty.emu.state
    assert [u for u in state.user_ids() if scenario.duplicates(state, u)] == []
    assert state.users_emptied_after_having() == set()
    assert faulty.emu.stats.dropped > 0  # the faults really happened
    assert faulty.governor.requests > 0


async def test_push_users_keep_their_push_factor(calm: Run) -> None:
    await calm.apply(await calm.plan())
    methods = calm.emu.state.methods_of("auth0|user003")
    assert sorted(m["type"] for m in methods) == ["phone", "push", "totp"]


async def test_summary_matches_what_happened(calm: Run) -> None:
    plan = await calm.plan()
    report = await calm.apply(plan)
    # The methods a replace writes count as created, in the plan's summary and the apply's alike.
    assert (plan.summary.create, plan.summary.replace) == (10, 2)
    assert report.summary_line() == (
        "Applied: 10 created, 2 updated, 2 deleted, 2 replaced. 0 users failed, 0 stale."
    )
    assert report.to_document()["summary"]["users_applied"] == 8  # type: ignore[index]


async def test_dry_run_sends_zero_writes_and_records_redacted_requests(calm: Run) -> None:
    plan = await calm.plan()
    dry = DryRunBackend(calm.client)
    before = calm.emu.stats.snapshot()
    report = await apply_plan(plan, backend=dry, settings=calm.settings)
    writes = {
        key: count
        for key, count in calm.emu.stats.snapshot().items()
        if key[0] != "GET" and key not in before
    }
    assert writes == {}
    assert report.dry_run
    assert [r.method for r in dry.requests].count("PUT") == 2
    text = repr(dry.requests)
    for seed in scenario.SEEDS:
        assert seed not in text
    assert "+14155550000" not in text


async def test_a_stale_saved_plan_skips_only_the_changed_user(calm: Run, tmp_path: object) -> None:
    from pathlib import Path

    plan = await calm.plan(fingerprints=True)
    path = Path(str(tmp_path)) / "plan.json"
    plans.write_plan_file(path, plan, manifest_files=[], policy=models.Policy())
    saved = plans.read_plan_file(path)
    # Someone adds a factor to user 2 out of band after the plan was saved.
    calm.emu.state.add_method("auth0|user002", {"type": "email", "email": "x@example.com"})
    report = await apply_saved_plan(
        saved,
        calm.desired,
        backend=calm.client,
        policy=models.Policy(),
        settings=calm.settings,
        resolver=calm.resolver,
    )
    statuses = {user.key: user.status for user in report.users}
    assert statuses["auth0|user002"] is UserStatus.STALE
    assert [key for key, status in statuses.items() if status is not UserStatus.APPLIED] == [
        "auth0|user002"
    ]
    assert not report.ok


async def test_an_unknown_user_is_an_error_while_the_others_are_planned(calm: Run) -> None:
    calm.desired.append(
        models.DesiredUser(user_id="auth0|ghost", methods=(scenario.phone("+14155559999"),))
    )
    plan = await calm.plan()
    ghost = next(user for user in plan.users if user.key == "auth0|ghost")
    assert ghost.error is not None
    assert "The user does not exist." in ghost.error
    assert plan.summary.users_with_changes == 8


async def test_an_email_user_is_resolved_to_its_one_user_id(calm: Run) -> None:
    calm.desired[:] = [
        models.DesiredUser(email="user2@example.com", methods=(scenario.phone("+14155550002"),)),
        models.DesiredUser(email="nobody@example.com", methods=()),
    ]
    plan = await calm.plan()
    by_key = {user.key: user for user in plan.users}
    assert by_key["email:user2@example.com"].user_id == "auth0|user002"
    assert by_key["email:user2@example.com"].error is None
    assert by_key["email:nobody@example.com"].error == (
        "no user has the email address nob***@exam*******"
    )


def test_a_report_masks_email_keys_as_stdout_does() -> None:
    outcome = reports.UserOutcome("email:four@corp.example", "auth0|u4", reports.UserStatus.APPLIED)
    document = outcome.to_document()
    assert document["key"] == plans.display_key("email:four@corp.example")
    assert "four@corp.example" not in json.dumps(document)
    assert document["user_id"] == "auth0|u4"  # the resolved id tells two masked keys apart


async def test_a_create_that_finds_its_method_already_there_is_already_present_not_created(
    calm: Run,
) -> None:
    """Another run (or person) added the method between the plan and the create: the API answers
    409, re-listing finds the method, and the summary counts it `already present`. The report's
    applied writes are exactly the writes the emulator's own tenant log recorded."""
    plan = await calm.plan()
    racing = next(
        (user, action)
        for user in plan.users
        for action in user.actions
        if action.op is plans.Op.CREATE and action.type == "phone" and action.method is not None
    )
    user_plan, action = racing
    assert user_plan.user_id is not None
    assert action.method is not None
    calm.emu.state.add_method(
        user_plan.user_id, {"type": "phone", "phone_number": action.method.phone_number}
    )
    since = calm.emu.state.logs.count()
    report = await calm.apply(plan)

    assert report.ok
    assert report.already_present == 1
    raced = next(user for user in report.users if user.key == user_plan.key)
    assert [a.status for a in raced.actions if a.op is plans.Op.CREATE].count(
        reports.ActionStatus.ALREADY_PRESENT
    ) == 1
    logged = {"post": 0, "patch": 0, "delete": 0, "put": 0}
    for event in calm.emu.state.logs.events()[since:]:
        if event["type"] == "sapi":
            logged[event["details"]["request"]["method"]] += 1
    summary = report.to_document()["summary"]
    assert isinstance(summary, dict)
    replaced_creates = sum(
        a.creates for u in report.users for a in u.actions if a.op is plans.Op.REPLACE
    )
    assert summary["created"] - replaced_creates == logged["post"]
    assert (summary["updated"], summary["deleted"], summary["replaced"]) == (
        logged["patch"],
        logged["delete"],
        logged["put"],
    )
    assert summary["already_present"] == 1
    assert report.summary_line() == (
        f"Applied: {summary['created']} created, 2 updated, 2 deleted, 2 replaced, "
        "1 already present. 0 users failed, 0 stale."
    )


class _StopOnFirstCreate:
    """The real client, but the run is asked to stop while its first create is being sent."""

    def __init__(self, client: api.Client, stop: StopSignal) -> None:
        self._client = client
        self._stop = stop

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    async def create_method(self, user_id: str, body: object) -> models.LiveMethod:
        self._stop.request()
        return await self._client.create_method(user_id, body)  # type: ignore[arg-type]


async def test_a_gentle_stop_finishes_the_action_in_flight_and_starts_nothing_more(
    calm: Run,
) -> None:
    plan = await calm.plan()
    stop = StopSignal()
    one_at_a_time = settings.RunSettings(
        rate=settings.RateSettings(max_rps=1000.0, concurrency=1), retry=FAST_RETRY
    )
    report = await apply_plan(
        plan,
        backend=_StopOnFirstCreate(calm.client, stop),  # type: ignore[arg-type]
        settings=one_at_a_time,
        users=calm.desired,
        policy=models.Policy(),
        resolver=calm.resolver,
        stop=stop,
    )
    assert report.interrupted
    assert not report.ok
    # one user at a time, in key order: those before the stop were done, those after never begun
    statuses = [user.status for user in report.users]
    started = [s for s in statuses if s is not UserStatus.NOT_STARTED]
    assert statuses == started + [UserStatus.NOT_STARTED] * (len(statuses) - len(started))
    assert len(started) < len(statuses)
    assert set(started[:-1]) <= {UserStatus.APPLIED}
    stopped = report.users[len(started) - 1]  # the user whose create was in flight
    creates = [a for a in stopped.actions if a.op is plans.Op.CREATE]
    assert creates[0].status is reports.ActionStatus.APPLIED  # it was finished, not abandoned
    after = stopped.actions[stopped.actions.index(creates[0]) + 1 :]
    if after:  # nothing after it was sent, and the user is reported interrupted
        assert stopped.status is UserStatus.INTERRUPTED
        assert {a.status for a in after} == {reports.ActionStatus.SKIPPED}
    assert calm.emu.state.users_emptied_after_having() == set()
    assert "users not started" in report.summary_line()
