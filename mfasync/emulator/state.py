"""The emulated tenant: users, their authentication methods (unmasked), and a change history.

`State` is the single source of truth of one emulator. API operations raise `problems.Problem`
exactly where the real service answers an error (404 user or method, 409, 403 limits and
passkeys); out-of-band helpers (`add_user`, `add_method`, `set_methods`, `remove_method`) let
tests and benchmarks change the tenant behind the API's back, without validation or limits.
The history records, per user, whether the user ever had zero methods after having had at least
one, which is how tests prove the executor's make-before-break ordering.

This module must not mask values, parse HTTP or validate request bodies: it stores what it is
given. Every public method takes a lock, so a test thread may read while the server thread writes.
"""

from __future__ import annotations

import copy
import datetime
import random
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mfasync.emulator import problems, tenantlog

_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 16

Method = dict[str, Any]
_DATABASE_PREFIX = "auth0|"  # the user ids of Auth0's own database connections


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _identity(method: Mapping[str, Any]) -> tuple[str, str] | None:
    """What makes two methods "the same" for a 409: the type and its value.

    TOTP is compared by its secret: enrolling the very same seed twice is a duplicate, while two
    authenticator apps with different seeds are not (the API offers no other value to compare).
    """
    kind = str(method.get("type"))
    if kind == "phone" and "phone_number" in method:
        return kind, str(method["phone_number"])
    if kind == "email" and "email" in method:
        return kind, str(method["email"]).lower()
    if kind == "totp" and "totp_secret" in method:
        return kind, str(method["totp_secret"])
    if kind in ("webauthn-roaming", "passkey") and "key_id" in method:
        return kind, str(method["key_id"])
    return None


class State:
    """Users and methods of one emulated tenant. Ids come from a generator seeded with
    `random_seed`, so the same sequence of calls gives the same ids."""

    def __init__(
        self,
        *,
        random_seed: int = 0,
        clock: Callable[[], datetime.datetime] = _utc_now,
    ) -> None:
        # Ids must be reproducible in tests; they guard nothing, so a seeded generator fits.
        self._rng = random.Random(random_seed)  # noqa: S311
        self._clock = clock
        self._lock = threading.RLock()
        self._users: dict[str, dict[str, Any]] = {}
        self._methods: dict[str, list[Method]] = {}
        self._by_email: dict[str, list[str]] = {}
        self._had_methods: set[str] = set()
        self._emptied: set[str] = set()
        #: The tenant's log events (`tenantlog`), timed by the same clock.
        self.logs = tenantlog.TenantLog(clock=clock)

    def __repr__(self) -> str:
        return f"State(users={len(self._users)})"

    # ----- ids, time, history --------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """`phone|dev_` + 16 characters from the seeded generator."""
        with self._lock:
            suffix = "".join(self._rng.choices(_ID_ALPHABET, k=_ID_LENGTH))
        return f"{prefix}|dev_{suffix}"

    def _now(self) -> str:
        return _iso(self._clock())

    def _note(self, user_id: str) -> None:
        # Called after every change: the ordering guarantee is about what a concurrent reader
        # could have seen between two requests, and every change is one request.
        if self._methods.get(user_id):
            self._had_methods.add(user_id)
        elif user_id in self._had_methods:
            self._emptied.add(user_id)

    def users_emptied_after_having(self) -> set[str]:
        """Users that had zero methods at some point after having had at least one."""
        with self._lock:
            return set(self._emptied)

    def reset_history(self) -> None:
        """Start the record afresh from the current methods (e.g. after seeding a scenario)."""
        with self._lock:
            self._emptied.clear()
            self._had_methods = {uid for uid, methods in self._methods.items() if methods}

    # ----- out of band ----------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        methods: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Add a user with methods of any type (seeding: no validation, no limits).

        Methods may carry their own `id` and `created_at`; missing ones are generated. The email
        of a database user (`auth0|...`) is stored in lower case, as the service stores it;
        other connections' (social, enterprise) keep the case they were given.
        """
        with self._lock:
            if user_id in self._users:
                raise ValueError(f"user {user_id!r} already exists")
            user: dict[str, Any] = {"user_id": user_id, "created_at": self._now()}
            if email is not None:
                if user_id.startswith(_DATABASE_PREFIX):
                    email = email.lower()
                user["email"] = email
                self._by_email.setdefault(email, []).append(user_id)
            self._users[user_id] = user
            self._methods[user_id] = [self._seeded(method) for method in methods]
            self._note(user_id)

    def _seeded(self, method: Mapping[str, Any]) -> Method:
        if "type" not in method:
            raise ValueError("every method needs a type")
        body = copy.deepcopy(dict(method))
        method_id = body.pop("id", None) or self.new_id(str(method["type"]))
        record: Method = {"id": method_id, **body}
        record.setdefault("created_at", self._now())
        return record

    def add_method(self, user_id: str, method: Mapping[str, Any]) -> Method:
        """Add one method of any type behind the API's back; returns the stored copy."""
        with self._lock:
            methods = self._user_methods(user_id)
            record = self._seeded(method)
            methods.append(record)
            self._note(user_id)
            return copy.deepcopy(record)

    def set_methods(self, user_id: str, methods: Iterable[Mapping[str, Any]]) -> list[Method]:
        """Replace a user's methods behind the API's back; returns the stored copies."""
        with self._lock:
            self._user_methods(user_id)
            self._methods[user_id] = [self._seeded(method) for method in methods]
            self._note(user_id)
            return copy.deepcopy(self._methods[user_id])

    def remove_method(self, user_id: str, method_id: str) -> None:
        """Remove exactly one method behind the API's back (no linked deletes)."""
        with self._lock:
            methods = self._user_methods(user_id)
            self._methods[user_id] = [m for m in methods if m["id"] != method_id]
            self._note(user_id)

    def delete_user(self, user_id: str) -> None:
        """Remove a user and its methods (404 if unknown); the simulated deletions use it."""
        with self._lock:
            user = self._users.pop(user_id, None)
            if user is None:
                raise problems.user_not_found()
            del self._methods[user_id]
            email = user.get("email")
            if isinstance(email, str):
                for key in {email, email.lower()}:
                    owners = self._by_email.get(key, [])
                    if user_id in owners:
                        owners.remove(user_id)
                    if not owners:
                        self._by_email.pop(key, None)
            self._had_methods.discard(user_id)

    def user_email(self, user_id: str) -> str | None:
        """The user's stored email (None: no email); 404 if the user is unknown."""
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise problems.user_not_found()
            email = user.get("email")
            return email if isinstance(email, str) else None

    def methods_of(self, user_id: str) -> list[Method]:
        """The user's methods, unmasked, secrets included (copies; for tests and benchmarks)."""
        with self._lock:
            return copy.deepcopy(self._user_methods(user_id))

    def user_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._users)

    def has_user(self, user_id: str) -> bool:
        with self._lock:
            return user_id in self._users

    # ----- API operations -------------------------------------------------------------------

    def _user_methods(self, user_id: str) -> list[Method]:
        try:
            return self._methods[user_id]
        except KeyError:
            raise problems.user_not_found() from None

    def _find(self, user_id: str, method_id: str) -> Method:
        for method in self._user_methods(user_id):
            if method["id"] == method_id:
                return method
        raise problems.method_not_found()

    def list_methods(self, user_id: str) -> list[Method]:
        with self._lock:
            return copy.deepcopy(self._user_methods(user_id))

    def get_method(self, user_id: str, method_id: str) -> Method:
        with self._lock:
            return copy.deepcopy(self._find(user_id, method_id))

    def _new_method(self, fields: Mapping[str, Any]) -> Method:
        kind = str(fields["type"])
        record: Method = {"id": self.new_id(kind), "type": kind, "confirmed": True}
        record.update((key, copy.deepcopy(value)) for key, value in fields.items())
        if kind == "phone":
            preferred = str(record.setdefault("preferred_authentication_method", "sms"))
            record["authentication_methods"] = [{"id": self.new_id(preferred), "type": preferred}]
        record["created_at"] = self._now()
        return record

    def create_method(
        self, user_id: str, fields: Mapping[str, Any], *, limit: int | None
    ) -> Method:
        """POST: 404 unknown user, 409 same type and value, 403 over the per-type limit."""
        with self._lock:
            methods = self._user_methods(user_id)
            identity = _identity(fields)
            if identity is not None and any(_identity(m) == identity for m in methods):
                raise problems.already_exists()
            if limit is not None:
                same_type = sum(1 for m in methods if m.get("type") == fields["type"])
                if same_type >= limit:
                    raise problems.entity_limit()
            record = self._new_method(fields)
            methods.append(record)
            self._note(user_id)
            return copy.deepcopy(record)

    def _refuse_if_passkey(self, methods: list[Method]) -> None:
        if any(m.get("type") == "passkey" for m in methods):
            raise problems.passkey_forbids()

    def replace_methods(self, user_id: str, items: list[Mapping[str, Any]]) -> list[Method]:
        """PUT: every existing method (of any type) is overwritten; the new ones get new ids."""
        with self._lock:
            self._refuse_if_passkey(self._user_methods(user_id))
            identities = [_identity(item) for item in items]
            if len(set(identities)) != len(identities):
                raise problems.already_exists()
            # Built in full before the swap: the user never passes through an empty state.
            records = [self._new_method(item) for item in items]
            self._methods[user_id] = records
            self._note(user_id)
            return copy.deepcopy(records)

    def update_method(self, user_id: str, method_id: str, fields: Mapping[str, Any]) -> Method:
        """PATCH: name and (phone only) preferred_authentication_method."""
        with self._lock:
            method = self._find(user_id, method_id)
            preferred = fields.get("preferred_authentication_method")
            if preferred is not None:
                if method.get("type") != "phone":
                    raise problems.bad_request(
                        "preferred_authentication_method applies to phone methods only."
                    )
                for sub in method.get("authentication_methods", []):
                    if sub.get("type") in ("sms", "voice"):
                        sub["type"] = preferred
            method.update(copy.deepcopy(dict(fields)))
            return copy.deepcopy(method)

    def delete_method(self, user_id: str, method_id: str) -> list[str]:
        """DELETE one: the method and every method linked to it; returns the removed ids."""
        with self._lock:
            target = self._find(user_id, method_id)
            group = {target["id"]}
            link = target.get("link_id")
            for method in self._methods[user_id]:
                # Links are honoured both ways: methods sharing the target's link_id, methods
                # whose link_id names the target, and the method the target's link_id names.
                if (link and (method.get("link_id") == link or method["id"] == link)) or (
                    method.get("link_id") == target["id"]
                ):
                    group.add(method["id"])
            self._methods[user_id] = [m for m in self._methods[user_id] if m["id"] not in group]
            self._note(user_id)
            return sorted(group)

    def delete_all_methods(self, user_id: str) -> None:
        """DELETE all: refused (403) for a passkey user, like PUT."""
        with self._lock:
            self._refuse_if_passkey(self._user_methods(user_id))
            self._methods[user_id] = []
            self._note(user_id)

    def users_by_email(self, email: str) -> list[dict[str, Any]]:
        """Users whose email is exactly `email` (the API's lookup is case-sensitive)."""
        with self._lock:
            return [
                {**self._users[uid], "email_verified": True}
                for uid in sorted(self._by_email.get(email, ()))
            ]
