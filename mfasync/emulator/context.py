"""What the request handlers share: config, state, tokens, rate buckets, faults and stats.

Built once per emulator and stored on the aiohttp application under `CONTEXT`. Holding only;
this module must not handle requests.
"""

from __future__ import annotations

import dataclasses

from aiohttp import web

from mfasync.emulator import config, faults, ratelimit, state, stats, tokens

API_PREFIX = "/api/v2"


@dataclasses.dataclass
class Context:
    settings: config.Config
    tenant: state.State
    tokens: tokens.TokenStore
    buckets: ratelimit.Buckets  # always: the service sends the rate-limit headers on every answer
    token_quota: ratelimit.TokenBucket | None
    faults: faults.FaultPlan
    stats: stats.Stats
    #: `http://127.0.0.1:<port>`, known once the socket is bound (the token audience uses it).
    base_url: str = ""

    @classmethod
    def build(cls, cfg: config.Config, tenant: state.State) -> Context:
        return cls(
            settings=cfg,
            tenant=tenant,
            tokens=tokens.TokenStore(ttl_s=cfg.token_ttl_s, static=cfg.static_tokens),
            buckets=ratelimit.Buckets(
                cfg.rate_limit or config.DEFAULT_RATE_LIMIT, cfg.endpoint_limits
            ),
            token_quota=ratelimit.TokenBucket(cfg.token_quota) if cfg.token_quota else None,
            faults=faults.FaultPlan(cfg.faults),
            stats=stats.Stats(),
        )


CONTEXT = web.AppKey("context", Context)
