"""What a plan is, one job per module: the planner builds these values, the executor carries them
out, `rendering` shows them.

- `actions`: `Op`, `Action` and the wire body of a desired method (the only place a value leaves
  its model);
- `displays`: the redacted forms output may show;
- `plan`: `UserPlan`, `Plan`, `Summary`;
- `fingerprints`: live fingerprints, action digests, value fingerprints;
- `guards`: the safety guards;
- `documents`: the `--format json` document;
- `planfile`: the saved plan file (the only I/O here).

The names below are the package's interface, so callers write `plans.Action`, `plans.check_guards`.
Nothing here imports the planner, the API client or anything above them.
"""

from mfasync.plans.actions import (
    REASON_GONE,
    REASON_VALUE_CHANGED,
    REDACTED,
    Action,
    FieldChange,
    Op,
    method_body,
    secret_problem,
    secret_value,
)
from mfasync.plans.displays import (
    EMAIL_KEY_PREFIX,
    declared_at,
    desired_display,
    display_key,
    heading,
    live_display,
    place,
    quoted,
)
from mfasync.plans.documents import FORMAT_VERSION, to_document
from mfasync.plans.documents import user_document as _user_document
from mfasync.plans.fingerprints import (
    EMAIL_OF_PREFIX,
    NO_KEY,
    Fingerprinter,
    live_fingerprint,
    saved_user_key,
)
from mfasync.plans.fingerprints import digest as _digest
from mfasync.plans.guards import check_guards
from mfasync.plans.plan import Plan, Summary, UserPlan, error_plan
from mfasync.plans.planfile import (
    SAVED_PLAN_KIND,
    SavedPlan,
    SavedUser,
    SavedUsers,
    read_plan_file,
    write_plan_file,
)

__all__ = [
    "EMAIL_KEY_PREFIX",
    "EMAIL_OF_PREFIX",
    "FORMAT_VERSION",
    "NO_KEY",
    "REASON_GONE",
    "REASON_VALUE_CHANGED",
    "REDACTED",
    "SAVED_PLAN_KIND",
    "Action",
    "FieldChange",
    "Fingerprinter",
    "Op",
    "Plan",
    "SavedPlan",
    "SavedUser",
    "SavedUsers",
    "Summary",
    "UserPlan",
    "_digest",
    "_user_document",
    "check_guards",
    "declared_at",
    "desired_display",
    "display_key",
    "error_plan",
    "heading",
    "live_display",
    "live_fingerprint",
    "method_body",
    "place",
    "quoted",
    "read_plan_file",
    "saved_user_key",
    "secret_problem",
    "secret_value",
    "to_document",
    "write_plan_file",
]
