"""Runs and the write journal: who ran what, and every write, announced before it is sent.

A journal intent is committed before the request it announces (`intend`); intents that arrive
while one is being written share the next commit. An outcome and the records it changes (`settle`)
are deferred to the next transaction, usually the next intent's, so a write costs one commit, not
two: an outcome lost with a killed process leaves an intent without an answer, which the next
apply re-reads anyway. A run row without an end belongs to a run that died (`interrupted`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy
from sqlalchemy.ext.asyncio import AsyncConnection

from mfasync import errors, records
from mfasync.state import tables as t
from mfasync.state.database import new_id
from mfasync.state.method_records import MethodRecords, Written

#: The outcome of an apply stopped at once with writes in flight: the next apply reports its
#: unanswered writes and re-reads their users first, as after a killed run.
STOPPED_OUTCOME = "stopped"

_INSERT_JOURNAL = sqlalchemy.insert(t.journal).returning(
    t.journal.c.entry_id, sort_by_parameter_order=True
)
_SETTLE_JOURNAL = (
    sqlalchemy.update(t.journal)
    .where(t.journal.c.entry_id == sqlalchemy.bindparam("settled_entry"))
    .values(
        outcome=sqlalchemy.bindparam("settled_outcome"),
        status=sqlalchemy.bindparam("settled_status"),
        answered_at=sqlalchemy.bindparam("settled_at"),
        new_method_ids=sqlalchemy.bindparam("settled_ids"),
    )
)


@dataclasses.dataclass(frozen=True, slots=True)
class RunInfo:
    """Who and where a run is, for the runs table and the lock holder."""

    command: str
    host: str
    os_user: str
    pid: int
    ci_job: str | None
    started_at: datetime.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Interrupted:
    """An apply that ended without saying so (killed), and its writes that had no answer."""

    run: records.RunRecord
    unanswered: tuple[records.JournalEntry, ...]


class Journal(MethodRecords):
    """The runs and journal part of the store."""

    async def begin_run(self, info: RunInfo) -> int:
        """A new run row; its id."""
        values = {
            "tenant_id": self.tenant_id,
            "command": info.command,
            "started_at": info.started_at,
            "host": info.host,
            "os_user": info.os_user,
            "ci_job": info.ci_job,
            "pid": info.pid,
            "counts": "{}",
        }

        async def write(connection: AsyncConnection) -> int:
            result = await connection.execute(sqlalchemy.insert(t.runs).values(**values))
            return new_id(result)

        return await self._transaction(write)

    async def end_run(
        self, run_id: int, *, counts: Mapping[str, int], outcome: str, at: datetime.datetime
    ) -> None:
        """Close a run with its counts and outcome (`ok`, `failed`)."""
        await self.flush()
        statement = (
            sqlalchemy.update(t.runs)
            .where(t.runs.c.run_id == run_id)
            .values(ended_at=at, outcome=outcome, counts=json.dumps(dict(counts), sort_keys=True))
        )
        await self._transaction(lambda c: c.execute(statement))

    async def intend(
        self,
        run_id: int,
        *,
        user_id: str,
        op: str,
        method_type: str | None,
        method_id: str | None,
        at: datetime.datetime,
    ) -> int:
        """Journal a write before it is sent (committed when this returns); the entry id.

        Group commit: intents that arrive while one is being written go out together in the
        next transaction, so concurrent writers share commits instead of queueing for one each.
        """
        values: dict[str, object] = {
            "run_id": run_id,
            "tenant_id": self.tenant_id,
            "user_id": user_id,
            "op": op,
            "method_type": method_type,
            "method_id": method_id,
            "intended_at": at,
            "new_method_ids": "[]",
        }

        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._intents.append((values, future))
        if self._intent_writer is None or self._intent_writer.done():
            self._intent_writer = asyncio.ensure_future(self._write_intents())
        return await future

    async def _write_intents(self) -> None:
        while self._intents:
            batch, self._intents = self._intents, []

            async def write(connection: AsyncConnection, rows: list[Any] = batch) -> list[int]:
                result = await connection.execute(_INSERT_JOURNAL, [row for row, _ in rows])
                return [int(entry_id) for entry_id in result.scalars().all()]

            try:
                ids = await self._transaction(write)
            except errors.StateError as exc:
                for _, waiting in batch:
                    if not waiting.done():
                        waiting.set_exception(exc)
                continue
            for (_, waiting), entry_id in zip(batch, ids, strict=True):
                if not waiting.done():
                    waiting.set_result(entry_id)

    async def settle(
        self,
        entry_id: int,
        *,
        user_id: str,
        outcome: records.WriteOutcome,
        status: int | None,
        at: datetime.datetime,
        written: Written | None = None,
    ) -> None:
        """A journaled write's outcome, and what it changed in the records (one transaction).

        Deferred to the next transaction (see the module docstring); the cache changes at once.
        """
        written = written or Written()
        new_ids = [method_id for method_id, _, _ in written.created]
        answer: dict[str, object] = {
            "settled_entry": entry_id,
            "settled_outcome": outcome.value,
            "settled_status": status,
            "settled_at": at,
            "settled_ids": json.dumps(new_ids),
        }
        # one transaction: the outcome and the records it changes are deferred together
        self._deferred.append((_SETTLE_JOURNAL, answer))
        await self.write_records(user_id, written, at=at)

    async def interrupted(self, *, current_run: int | None) -> list[Interrupted]:
        """Applies that never ended (killed) or were stopped at once (`stopped`: Ctrl-C twice
        abandoned writes in flight), oldest first, with their unanswered writes.

        Only applies hold the lock and write, so an apply row without an end, seen by the lock's
        holder, belongs to a run that died.
        """
        died = sqlalchemy.and_(t.runs.c.ended_at.is_(None), t.runs.c.outcome.is_(None))
        query = (
            sqlalchemy.select(t.runs)
            .where(
                t.runs.c.tenant_id == self.tenant_id,
                t.runs.c.command == "apply",
                sqlalchemy.or_(died, t.runs.c.outcome == STOPPED_OUTCOME),
            )
            .order_by(t.runs.c.run_id)
        )
        runs = [_run_record(row) for row in await self._run(lambda c: c.execute(query))]
        found: list[Interrupted] = []
        for run in runs:
            if run.run_id == current_run:
                continue
            entries = await self.journal(run_id=run.run_id)
            unanswered = tuple(entry for entry in entries if entry.outcome is None)
            found.append(Interrupted(run=run, unanswered=unanswered))
        return found

    async def close_interrupted(self, run_ids: Sequence[int]) -> None:
        """Mark killed or stopped runs `interrupted`, and their unanswered writes `unknown`."""
        if not run_ids:
            return

        async def write(connection: AsyncConnection) -> None:
            await connection.execute(
                sqlalchemy.update(t.runs)
                .where(t.runs.c.run_id.in_(list(run_ids)))
                .values(outcome="interrupted")
            )
            await connection.execute(
                sqlalchemy.update(t.journal)
                .where(t.journal.c.run_id.in_(list(run_ids)), t.journal.c.outcome.is_(None))
                .values(outcome=records.WriteOutcome.UNKNOWN.value)
            )

        await self._transaction(write)

    async def runs(
        self, *, limit: int | None = None, user_id: str | None = None
    ) -> list[records.RunRecord]:
        """Runs, newest first (with `user_id`: only those that journaled a write for that user)."""
        query = (
            sqlalchemy.select(t.runs)
            .where(t.runs.c.tenant_id == self.tenant_id)
            .order_by(t.runs.c.run_id.desc())
        )
        if user_id is not None:
            wrote = sqlalchemy.select(t.journal.c.run_id).where(
                t.journal.c.tenant_id == self.tenant_id, t.journal.c.user_id == user_id
            )
            query = query.where(t.runs.c.run_id.in_(wrote))
        if limit is not None:
            query = query.limit(limit)
        return [_run_record(row) for row in await self._run(lambda c: c.execute(query))]

    async def journal(
        self,
        *,
        run_id: int | None = None,
        run_ids: Sequence[int] | None = None,
        user_id: str | None = None,
        limit: int | None = None,
    ) -> list[records.JournalEntry]:
        """Journal entries in the order they were written (of one run, some runs, one user, all)."""
        query = sqlalchemy.select(t.journal).where(t.journal.c.tenant_id == self.tenant_id)
        if run_id is not None:
            query = query.where(t.journal.c.run_id == run_id)
        if run_ids is not None:
            query = query.where(t.journal.c.run_id.in_(list(run_ids)))
        if user_id is not None:
            query = query.where(t.journal.c.user_id == user_id)
        if limit is not None:
            newest = query.order_by(t.journal.c.entry_id.desc()).limit(limit).subquery()
            query = sqlalchemy.select(newest)
        rows = await self._run(lambda c: c.execute(query))
        entries = [_journal_entry(row) for row in rows]
        return sorted(entries, key=lambda entry: entry.entry_id)


def _run_record(row: Any) -> records.RunRecord:
    return records.RunRecord(
        run_id=int(row.run_id),
        command=row.command,
        started_at=row.started_at,
        ended_at=row.ended_at,
        host=row.host,
        os_user=row.os_user,
        ci_job=row.ci_job,
        pid=int(row.pid),
        counts=json.loads(row.counts or "{}"),
        outcome=row.outcome,
    )


def _journal_entry(row: Any) -> records.JournalEntry:
    return records.JournalEntry(
        entry_id=int(row.entry_id),
        run_id=int(row.run_id),
        user_id=row.user_id,
        op=row.op,
        method_type=row.method_type,
        method_id=row.method_id,
        intended_at=row.intended_at,
        outcome=records.WriteOutcome(row.outcome) if row.outcome is not None else None,
        status=row.status,
        new_method_ids=tuple(json.loads(row.new_method_ids or "[]")),
        answered_at=row.answered_at,
    )
