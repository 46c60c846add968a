"""Claims about the tenant lock, on both backends: one holder, named; gone with a killed holder."""

from __future__ import annotations

import asyncio
import datetime
import os
import signal
import subprocess
import sys

import pytest

from mfasync import errors, state

TENANT = "tenant.eu.auth0.com"

HOLDER = """
import asyncio, os, sys
from mfasync import state
async def main() -> None:
    store = await state.Store.open(state.parse(sys.argv[1]), tenant=sys.argv[2])
    async with state.TenantLock(store, timeout_s=0, host="holder-host", pid=os.getpid()):
        print("locked", flush=True)
        await asyncio.sleep(600)
asyncio.run(main())
"""


async def open_store(url: str) -> state.Store:
    location = state.parse(url)
    assert location is not None
    return await state.Store.open(location, tenant=TENANT)


async def test_a_second_holder_fails_at_once_naming_the_first(state_url: str) -> None:
    first, second = await open_store(state_url), await open_store(state_url)
    try:
        async with state.TenantLock(first, timeout_s=0, host="ci-7", pid=4242) as held:
            await held.name_run(17, since=datetime.datetime.now(datetime.UTC))
            with pytest.raises(errors.LockHeldError) as caught:
                async with state.TenantLock(second, timeout_s=0, host="laptop", pid=1):
                    pytest.fail("two holders of one tenant's lock")
            message = str(caught.value)
            assert "locked by run 17 (pid 4242 on ci-7, since " in message
            assert "--lock-timeout" in message
        # released at the end of the block: the second may take it now
        async with state.TenantLock(second, timeout_s=0, host="laptop", pid=1):
            pass
    finally:
        await first.close()
        await second.close()


async def test_another_tenant_is_not_locked(state_url: str) -> None:
    first = await open_store(state_url)
    location = state.parse(state_url)
    assert location is not None
    other = await state.Store.open(location, tenant="other.us.auth0.com")
    try:
        async with (
            state.TenantLock(first, timeout_s=0, host="a", pid=1),
            state.TenantLock(other, timeout_s=0, host="b", pid=2),
        ):
            pass
    finally:
        await first.close()
        await other.close()


async def test_a_waiter_gets_the_lock_when_the_holder_lets_go(state_url: str) -> None:
    first, second = await open_store(state_url), await open_store(state_url)
    try:
        lock = state.TenantLock(first, timeout_s=0, host="a", pid=1)
        await lock.__aenter__()

        async def let_go() -> None:
            await asyncio.sleep(0.5)
            await lock.release()

        releasing = asyncio.create_task(let_go())
        async with state.TenantLock(second, timeout_s=20, host="b", pid=2):
            assert releasing.done()
        await releasing
    finally:
        await first.close()
        await second.close()


async def test_a_killed_holder_leaves_no_stale_lock(state_url: str) -> None:
    holder = subprocess.Popen(  # noqa: ASYNC220 - a real process, killed by the test
        [sys.executable, "-c", HOLDER, state_url, TENANT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(holder.stdout.readline), timeout=60)
        assert line.strip() == "locked", holder.stderr.read() if holder.stderr else ""
        store = await open_store(state_url)
        try:
            with pytest.raises(errors.LockHeldError, match=f"pid {holder.pid} on holder-host"):
                async with state.TenantLock(store, timeout_s=0, host="b", pid=2):
                    pass
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=30)
            # the kernel (file lock) or the server (advisory lock) dropped it with the process
            async with state.TenantLock(store, timeout_s=10, host="b", pid=2):
                pass
        finally:
            await store.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
