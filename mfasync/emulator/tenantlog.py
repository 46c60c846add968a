"""The tenant's log events: ids that grow with time, compact bulk noise, retention and delay.

`TenantLog` stores every event the emulated tenant logs (successful Management API writes as
`sapi`, simulated Universal Login events, bulk login noise) and answers the two questions of
`GET /api/v2/logs`: "the events newer than this log id" (checkpoint mode) and "the events at these
positions" (search mode). Both see only the *retained* and *visible* events: an event older than
the retention window is gone (and dropped from memory at the next read), an event younger than the
visibility delay is not shown yet. Both windows are handed in by the caller (the HTTP layer reads
them from the config), so one store serves any settings and a fake clock drives both.

Log ids are 56 digits like the service's: `900`, the event's UTC time to the millisecond
(`YYYYMMDDHHMMSSmmm`), then a 36-digit sequence number. Event times never go backwards (a clock
that does is held at the latest time seen) and the sequence always grows, so ids sort
lexicographically in the order events happened, and the visible events are always a prefix.

Bulk noise is one `_Run` per call: a count, a time and the users to cycle through, not one dict
per event; a `sapi` write is one small `_ApiWrite` of its few facts. An event is built only when a
page shows it. This module must not know about HTTP.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import datetime
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Event = dict[str, Any]

ID_PREFIX = "900"
_SEQ_DIGITS = 36
LOGIN_CLIENT_ID = "emulator-login"
"""The client of events that come from Universal Login (self-enrolments, logins)."""
LOGIN_CLIENT_NAME = "Universal Login"
LOGIN_IP = "198.51.100.23"  # documentation range (RFC 5737)


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@functools.lru_cache(maxsize=256)  # a run's events, and a page's, mostly share one time
def iso(moment: datetime.datetime) -> str:
    """`2026-12-01T10:15:00.120Z`: ISO 8601, milliseconds, UTC."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _id_prefix(moment: datetime.datetime) -> str:
    utc = moment.astimezone(datetime.UTC)
    return f"{ID_PREFIX}{utc:%Y%m%d%H%M%S}{utc.microsecond // 1000:03d}"


@dataclasses.dataclass(frozen=True, slots=True)
class _Single:
    """One event, stored whole (without its `log_id` and `date`, which are derived)."""

    seq: int
    moment: datetime.datetime
    prefix: str
    body: Event

    @property
    def count(self) -> int:
        return 1

    def log_id(self, offset: int = 0) -> str:
        return f"{self.prefix}{self.seq + offset:0{_SEQ_DIGITS}d}"

    def event(self, offset: int) -> Event:
        return {"log_id": self.log_id(), "date": iso(self.moment), **copy.deepcopy(self.body)}


@dataclasses.dataclass(frozen=True, slots=True)
class _Run:
    """`count` successful logins at one time, cycling through `users` (id, name) pairs."""

    seq: int
    moment: datetime.datetime
    prefix: str
    count: int
    kind: str
    description: str
    users: Sequence[tuple[str, str | None]]

    def log_id(self, offset: int) -> str:
        return f"{self.prefix}{self.seq + offset:0{_SEQ_DIGITS}d}"

    def event(self, offset: int) -> Event:
        user_id, user_name = self.users[offset % len(self.users)] if self.users else ("", None)
        event: Event = {
            "log_id": self.log_id(offset),
            "date": iso(self.moment),
            "type": self.kind,
            "description": self.description,
            "client_id": LOGIN_CLIENT_ID,
            "client_name": LOGIN_CLIENT_NAME,
            "ip": LOGIN_IP,
            "user_id": user_id,
            "connection": "Username-Password-Authentication",
            "details": {"prompts": [], "stats": {"loginsCount": offset + 1}},
        }
        if user_name is not None:
            event["user_name"] = user_name
        return event


@dataclasses.dataclass(frozen=True, slots=True)
class _ApiWrite:
    """One successful Management API write (`sapi`), kept as its few facts: a full apply of
    100,000 users logs as many events, so the nested dicts are built only when shown."""

    seq: int
    moment: datetime.datetime
    prefix: str
    description: str
    client_id: str
    client_name: str
    ip: str
    method: str
    path: str
    status: int

    @property
    def count(self) -> int:
        return 1

    def log_id(self, offset: int = 0) -> str:
        return f"{self.prefix}{self.seq + offset:0{_SEQ_DIGITS}d}"

    def event(self, offset: int) -> Event:
        return {
            "log_id": self.log_id(),
            "date": iso(self.moment),
            "type": "sapi",
            "description": self.description,
            "client_id": self.client_id,
            "client_name": self.client_name,
            "ip": self.ip,
            "user_id": "",  # the caller of a client-credentials token is no user
            "details": {
                "request": {
                    "method": self.method,
                    "path": self.path,
                    "channel": "api",
                    "auth": {"strategy": "jwt", "user": {}},
                },
                "response": {"statusCode": self.status},
            },
        }


_Entry = _Single | _Run | _ApiWrite


class TenantLog:
    """Append-only events in log-id order; every public method takes a lock (thread-safe)."""

    def __init__(self, *, clock: Callable[[], datetime.datetime] = _utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self._next_seq = 1
        self._latest: datetime.datetime | None = None

    def __repr__(self) -> str:
        return f"TenantLog(events={self.count()})"

    # ----- writing ---------------------------------------------------------------------------

    def _moment(self) -> datetime.datetime:
        now = self._clock()
        if self._latest is not None and now < self._latest:
            now = self._latest  # ids must never go backwards
        self._latest = now
        return now

    def record(
        self,
        kind: str,
        *,
        description: str,
        user_id: str = "",
        user_name: str | None = None,
        client_id: str = LOGIN_CLIENT_ID,
        client_name: str = LOGIN_CLIENT_NAME,
        ip: str = LOGIN_IP,
        details: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Log one event now; returns its log id. `extra` adds top-level fields (`audience`...)."""
        body: Event = {
            "type": kind,
            "description": description,
            "client_id": client_id,
            "client_name": client_name,
            "ip": ip,
            "user_id": user_id,
        }
        if user_name is not None:
            body["user_name"] = user_name
        body["details"] = copy.deepcopy(dict(details or {}))
        body.update(copy.deepcopy(dict(extra or {})))
        with self._lock:
            moment = self._moment()
            entry = _Single(seq=self._next_seq, moment=moment, prefix=_id_prefix(moment), body=body)
            self._entries.append(entry)
            self._next_seq += 1
            return entry.log_id()

    def record_api_write(
        self,
        *,
        method: str,
        path: str,
        status: int,
        description: str,
        client_id: str,
        client_name: str,
        ip: str,
    ) -> str:
        """Log a successful write as `sapi` (`method` in lower case, `path` as shown)."""
        with self._lock:
            moment = self._moment()
            entry = _ApiWrite(
                seq=self._next_seq,
                moment=moment,
                prefix=_id_prefix(moment),
                description=description,
                client_id=client_id,
                client_name=client_name,
                ip=ip,
                method=method.lower(),
                path=path,
                status=status,
            )
            self._entries.append(entry)
            self._next_seq += 1
            return entry.log_id()

    def record_run(
        self,
        count: int,
        *,
        users: Sequence[tuple[str, str | None]],
        kind: str = "s",
        description: str = "Success Login",
    ) -> tuple[str, str]:
        """Log `count` logins at once, cheaply; returns the first and the last log id."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            moment = self._moment()
            run = _Run(
                seq=self._next_seq,
                moment=moment,
                prefix=_id_prefix(moment),
                count=count,
                kind=kind,
                description=description,
                users=tuple(users),
            )
            self._entries.append(run)
            self._next_seq += count
            return run.log_id(0), run.log_id(count - 1)

    # ----- reading ---------------------------------------------------------------------------

    def count(self) -> int:
        """Every stored event, whatever its age (expired ones go at the next windowed read)."""
        with self._lock:
            return sum(entry.count for entry in self._entries)

    def events(self) -> list[Event]:
        """Every stored event, oldest first, whatever the windows (tests: keep it small)."""
        with self._lock:
            return [entry.event(k) for entry in self._entries for k in range(entry.count)]

    def last_log_id(self) -> str | None:
        """The newest stored log id, visible or not (None: nothing logged)."""
        with self._lock:
            if not self._entries:
                return None
            last = self._entries[-1]
            return last.log_id(last.count - 1)

    def _visible_end(self, retention_s: float | None, delay_s: float) -> int:
        """Drops the expired entries; the visible ones are `self._entries[:returned]`."""
        now = self._clock()
        if retention_s is not None:
            cutoff = now - datetime.timedelta(seconds=retention_s)
            expired = bisect.bisect_left(self._entries, cutoff, key=lambda e: e.moment)
            if expired:
                del self._entries[:expired]
        horizon = now - datetime.timedelta(seconds=delay_s)
        return bisect.bisect_right(self._entries, horizon, key=lambda e: e.moment)

    def after(
        self, from_id: str | None, take: int, *, retention_s: float | None, delay_s: float = 0.0
    ) -> list[Event]:
        """Checkpoint mode: up to `take` visible events with a log id above `from_id`, in order.

        `from_id=None` starts at the oldest retained event. An id older than the retention (or
        any string below every id) also starts there: the events it pointed past are gone.
        """
        with self._lock:
            end = self._visible_end(retention_s, delay_s)
            entries = self._entries
            found: list[Event] = []
            index, offset = 0, 0
            if from_id is not None:
                index = bisect.bisect_right(
                    entries, from_id, hi=end, key=lambda e: e.log_id(e.count - 1)
                )
                if index < end:
                    entry = entries[index]
                    offset = bisect.bisect_right(range(entry.count), from_id, key=entry.log_id)
            while index < end and len(found) < take:
                entry = entries[index]
                stop = min(entry.count, offset + take - len(found))
                found.extend(entry.event(k) for k in range(offset, stop))
                index, offset = index + 1, 0
            return found

    def window_size(self, *, retention_s: float | None, delay_s: float = 0.0) -> int:
        """How many events are retained and visible now."""
        with self._lock:
            end = self._visible_end(retention_s, delay_s)
            return sum(entry.count for entry in self._entries[:end])

    def at_positions(
        self,
        start: int,
        stop: int,
        *,
        newest_first: bool,
        retention_s: float | None,
        delay_s: float = 0.0,
    ) -> list[Event]:
        """Search mode: the visible events at positions [start, stop) of the chosen order."""
        with self._lock:
            entries = self._entries[: self._visible_end(retention_s, delay_s)]
            total = sum(entry.count for entry in entries)
            stop = min(stop, total)
            if start >= stop:
                return []
            starts: list[int] = []
            running = 0
            for entry in entries:
                starts.append(running)
                running += entry.count
            positions = range(start, stop)
            if newest_first:
                positions = range(total - 1 - start, total - 1 - stop, -1)
            found = []
            for position in positions:
                index = bisect.bisect_right(starts, position) - 1
                found.append(entries[index].event(position - starts[index]))
            return found

    def find(self, log_id: str, *, retention_s: float | None, delay_s: float = 0.0) -> Event | None:
        """The visible event with this id, if it is retained."""
        with self._lock:
            entries = self._entries[: self._visible_end(retention_s, delay_s)]
            index = bisect.bisect_left(entries, log_id, key=lambda e: e.log_id(e.count - 1))
            if index == len(entries):
                return None
            entry = entries[index]
            offset = bisect.bisect_left(range(entry.count), log_id, key=entry.log_id)
            if offset < entry.count and entry.log_id(offset) == log_id:
                return entry.event(offset)
            return None
