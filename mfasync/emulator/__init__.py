"""A local Auth0 Management API (user authentication methods) for demos, tests and benchmarks.

A real aiohttp.web server that behaves like the reference (docs: shared reference
`auth0-management-api.md`): masked reads, 201/204/404/409/400/403 answers, paging with the
`include_totals` shape, PUT's overwrite and its passkey 403, PATCH limits, linked deletes,
client-credentials tokens that expire (and the canonical audience of a custom-domain tenant),
scopes, rate limits as the service has them (the `x-ratelimit-*` headers on every answer, a
tenant-wide bucket plus per-endpoint buckets, a token-endpoint quota), and seeded fault injection.
It imports nothing from the rest of mfasync, so a misunderstanding of the API on the client side
is not mirrored here.

Public API::

    cfg = emulator.Config(                      # every field optional
        client_id="mfasync-emulator", client_secret=<generated>, token_ttl_s=86400.0,
        scopes=emulator.ALL_SCOPES, static_tokens={"tok": ("read:authentication_methods",)},
        rate_limit=emulator.RateLimit(burst=10, per_s=2.0),  # None: DEFAULT_RATE_LIMIT (huge)
        endpoint_limits={"authentication-methods-write": emulator.RateLimit(10, 5.0)},
        token_quota=emulator.RateLimit(burst=2, per_s=0.5),  # POST /oauth/token; None: none
        canonical_domain="tenant.eu.auth0.com",  # tokens only for https://{it}/api/v2/
        masking=True,                             # False: full numbers and emails on reads
        tls=None,                                 # an ssl.SSLContext: serve HTTPS
        faults=emulator.Faults(latency_ms=0, fail_rate=0.0, drop_rate=0.0,
                               on_token_endpoint=False, seed=0),
        entity_limits={"phone": 20, ...},         # per user and type, for POST only
        log_retention_s=2 * 86400.0,              # None: keep every event
        log_delay_s=0.0,                          # seconds before an event is visible
        host="127.0.0.1", port=0)                 # 0: a free port
    tenant = emulator.State(random_seed=0)        # ids like phone|dev_ + 16 seeded characters
    emulator.seed_mapping(tenant, {"users": [...]})   # or emulator.load_seed_file(path, tenant=...)
    emulator.add_bulk_users(tenant, 100_000)      # benchmarks

    # Behind the API's back, logged as the service logs it (`simulate`; each returns log ids):
    emulator.simulate_enrollment(tenant, user_id, {"type": "totp", ...})  # gd_enrollment_complete
    emulator.simulate_unenrollment(tenant, user_id, method_id)            # gd_unenroll (+ linked)
    emulator.simulate_user_deletion(tenant, user_id)                      # sdu
    emulator.add_login_noise(tenant, 200_000, user_ids=None)  # `s` events, one compact run
    emulator.record_event(tenant, "sui", description=..., user_id=..., details=...)
    tenant.logs.events() / .count() / .last_log_id()   # `TenantLog`, whatever the windows

    async with emulator.Emulator(cfg, tenant) as emu:      # or: with emulator.run_in_thread(...)
        emu.url, emu.api_url, emu.audience, emu.client_id, emu.client_secret
        emu.issue_token(scopes=None) -> str       # a token made out of band
        emu.state.methods_of(user_id) -> list[dict]          # unmasked, secrets included
        emu.state.users_emptied_after_having() -> set[str]   # the ordering record
        emu.state.add_user / add_method / set_methods / remove_method / reset_history
        emu.stats.snapshot() -> {(method, route, status): count}   # status 0: dropped
        emu.stats.rate_limited, .injected_failures, .dropped, .total(method=, route=)

    await emulator.serve(cfg, tenant, on_ready=callback)     # until cancelled (the CLI)

Tenant logs (`tenantlog`, `logroutes`, `admin`, `simulate`): every successful write is logged as
`sapi`, simulated Universal Login events and bulk login noise are logged as the service logs them,
and `GET /api/v2/logs` reads them with checkpoint paging, `read:logs`, a retention window and a
visibility delay:

    GET /api/v2/logs?from=LOG_ID&take=N    read:logs; newer than LOG_ID, by log id, N <= 100
                                           (400 above), Link rel="next"; [] at the end, whose
                                           next link is the same URL; no `from`: oldest first
    GET /api/v2/logs?page=&per_page=&include_totals=&sort=date:-1     search mode, 1,000 max
    GET /api/v2/logs/{log_id}
    POST /admin/enrollments | /admin/unenrollments | /admin/user-deletions | /admin/login-noise
         | /admin/log-events                 any emulator-issued bearer token; JSON bodies

Log ids are 56 digits (`900`, the UTC time to the millisecond, a 36-digit sequence): they grow
with time and sort lexicographically in order. `sapi` events carry the caller's client, `user_id`
"" and the path encoded as the service shows it (`/api/v2/users/auth0%7Cabc/...`); each token
issued is a `seccft` event. `mfasync emulator --log-retention-days D --log-delay S` sets both
windows.

Decisions where the reference is silent (each documented in its module): the email masking rule
(`masking`); the phone is echoed as sent by POST and masked by PATCH (`views`); a TOTP is a
duplicate (409) when its secret equals an existing one's (`state`); `total` is left out of an
empty page (`routes`); an unknown user is 404 on every endpoint, PUT and DELETE-all included;
a `from` older than the log retention answers the retained events newer than it, without `from`
the oldest retained events come first, and a log search query (`q`) is refused (`logroutes`).
"""

from __future__ import annotations

from mfasync.emulator.config import (
    ALL_SCOPES,
    DEFAULT_ENTITY_LIMITS,
    DEFAULT_RATE_LIMIT,
    ENDPOINT_GROUPS,
    Config,
    Faults,
    RateLimit,
)
from mfasync.emulator.masking import mask_email, mask_phone
from mfasync.emulator.seed import add_bulk_users, load_seed_file, seed_mapping
from mfasync.emulator.server import Emulator, run_in_thread, serve
from mfasync.emulator.simulate import (
    add_login_noise,
    record_event,
    simulate_enrollment,
    simulate_unenrollment,
    simulate_user_deletion,
)
from mfasync.emulator.state import State
from mfasync.emulator.stats import Stats
from mfasync.emulator.tenantlog import TenantLog

__all__ = [
    "ALL_SCOPES",
    "DEFAULT_ENTITY_LIMITS",
    "DEFAULT_RATE_LIMIT",
    "ENDPOINT_GROUPS",
    "Config",
    "Emulator",
    "Faults",
    "RateLimit",
    "State",
    "Stats",
    "TenantLog",
    "add_bulk_users",
    "add_login_noise",
    "load_seed_file",
    "mask_email",
    "mask_phone",
    "record_event",
    "run_in_thread",
    "seed_mapping",
    "serve",
    "simulate_enrollment",
    "simulate_unenrollment",
    "simulate_user_deletion",
]
