"""The pure planner (DESIGN.md section 2), one job per module.

- `planner`: `plan_user(desired, live, policy, *, known=None) -> plans.UserPlan`;
- `matching`: which live method each desired method is (masks, names, records);
- `actions`: patches (deepdiff lives here), creates and deletes;
- `replacing`: the full replace (PUT), only when safe and strictly cheaper.

Pure and deterministic: no I/O, no clock, no asyncio, no randomness.
"""

from mfasync.planning.planner import in_sync as _in_sync
from mfasync.planning.planner import plan_user
from mfasync.planning.replacing import REPLACE_TYPE

__all__ = ["REPLACE_TYPE", "_in_sync", "plan_user"]
