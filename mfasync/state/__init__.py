"""The state store (DESIGN.md section 7): what mfasync wrote and saw, per tenant.

- `locations`: the `--state` value (`sqlite:///...`, `postgresql://...`, `none`), redacted;
- `engines`: the SQLAlchemy async engine of a location, with private SQLite files;
- `schema`: Alembic migrations, run on first use; a newer state is refused;
- `tables`: the tables as the latest migration leaves them;
- `database`, `method_records`, `journal`, `store`: `Store`, one tenant's records, runs, journal
  and checkpoint, built in parts (the connection's plumbing, the records, the journal, opening);
- `lock`: `TenantLock`, the one-apply-at-a-time lock that dies with its holder;
- `copying`: `push`, the whole state copied to another backend.

Plain records in and out (`mfasync.records`). Nothing here plans, talks to the Management API or
prints; the CLI composes it with the executor. It never holds a seed, a token, a client secret or
a full phone number: values only as keyed fingerprints.
"""

from mfasync.state.copying import Pushed, push
from mfasync.state.copying import describe as describe_counts
from mfasync.state.journal import STOPPED_OUTCOME
from mfasync.state.locations import DEFAULT, Location, parse
from mfasync.state.lock import TenantLock
from mfasync.state.store import Interrupted, Observation, RunInfo, Store, Written, observation

__all__ = [
    "DEFAULT",
    "STOPPED_OUTCOME",
    "Interrupted",
    "Location",
    "Observation",
    "Pushed",
    "RunInfo",
    "Store",
    "TenantLock",
    "Written",
    "describe_counts",
    "observation",
    "parse",
    "push",
]
