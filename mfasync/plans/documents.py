"""The `--format json` document of a plan (DESIGN.md section 1), and its saved-plan form.

No secret, no full phone number, no clear email: displays, masked keys and references only; the
saved form adds fingerprints and digests.
"""

from __future__ import annotations

from mfasync import models
from mfasync.plans import fingerprints
from mfasync.plans.actions import Action, Op
from mfasync.plans.displays import desired_display, display_key, live_display
from mfasync.plans.plan import Plan, UserPlan

FORMAT_VERSION = 1


def to_document(plan: Plan) -> dict[str, object]:
    """The `--format json` document (DESIGN.md section 1).

    No secret, no full phone number, no clear email: displays, masked keys and references only.
    """
    return {
        "format_version": FORMAT_VERSION,
        "summary": plan.summary.as_dict(),
        "users": [user_document(user) for user in plan.users],
    }


def user_document(
    user: UserPlan, *, saved: fingerprints.Fingerprinter | None = None
) -> dict[str, object]:
    """One user of the document. `saved` (the plan file's fingerprinter) adds the stored key, the
    live fingerprint, the action digest and the values' keyed fingerprints."""
    document: dict[str, object] = {
        "user": display_key(user.key),
        "user_id": user.user_id,
        "error": user.error,
        "actions": [_action_document(a, user_key=user.key, saved=saved) for a in user.actions],
    }
    if user.source is not None:
        document["source"] = user.source
    if user.outside:
        document["outside"] = [
            {"id": m.id, "type": m.type, "name": m.name, "display": live_display(m)}
            for m in user.outside
        ]
    if saved:
        document["key"] = fingerprints.saved_user_key(user.key, saved, user_id=user.user_id)
        document["live_fingerprint"] = user.live_fingerprint
        document["action_digest"] = user.action_digest(saved)
    return document


def _action_document(
    action: Action, *, user_key: str, saved: fingerprints.Fingerprinter | None
) -> dict[str, object]:
    document: dict[str, object] = {
        "op": action.op.value,
        "type": action.type,
        "name": action.name,
        "method_id": action.method_id,
        "display": action.display,
    }
    if action.reason is not None:
        document["reason"] = action.reason
    if action.op is Op.PATCH:
        document["changes"] = [
            {"field": c.field, "old": c.old, "new": c.new} for c in action.changes
        ]
    if action.method is not None:
        document["method"] = _method_document(action.method, user_key=user_key, saved=saved)
    if action.op is Op.REPLACE:
        document["methods"] = [
            _method_document(m, user_key=user_key, saved=saved) for m in action.methods
        ]
        document["replaced"] = [
            {"id": m.id, "type": m.type, "name": m.name, "display": live_display(m)}
            for m in action.replaced
        ]
    return document


def _method_document(
    method: models.DesiredMethod, *, user_key: str, saved: fingerprints.Fingerprinter | None
) -> dict[str, object]:
    document: dict[str, object] = {
        "type": method.type.value,
        "name": method.name,
        "display": desired_display(method),
    }
    if method.preferred_authentication_method is not None:
        document["preferred_authentication_method"] = method.preferred_authentication_method.value
    if method.totp_secret is not None:
        # a reference says where the seed comes from; an inline seed is only "inline"
        document["totp_secret"] = {"reference": method.totp_secret.reference}
    if method.relying_party_identifier is not None:
        document["relying_party_identifier"] = method.relying_party_identifier
    if saved is not None and saved.enabled:
        document["fingerprints"] = fingerprints.method_fingerprints(
            method, user_key=user_key, fingerprinter=saved
        )
    return document
