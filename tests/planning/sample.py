"""The plan of DESIGN.md section 1 (alice, bob, unchanged users), built by the real planner."""

from __future__ import annotations

from mfasync import models, planning, plans
from tests.planning import builders as b

ALICE_PHONE = "+14155550123"
OLD_PHONE = "+14155559999"
BOB_PHONE = "+14155554567"
SECRETS = (b.SEED,)
FULL_VALUES = (ALICE_PHONE, OLD_PHONE, BOB_PHONE, "carol@example.com", "dave.smith@example.com")


def design_plan(*, with_errors: bool = False, unchanged: int = 41) -> plans.Plan:
    policy = models.Policy()
    users = [
        planning.plan_user(
            b.user(b.phone(ALICE_PHONE, "Work phone"), b.totp("Authenticator")),
            [
                b.live_phone("phone|dev_old", "XXXXXXXX9999", "Old phone"),
                b.live_phone("phone|dev_work", "XXXXXXXX0123", "SMS"),
                b.live("push|dev_1", "push", "Guardian"),  # makes the PUT impossible
            ],
            policy,
        ),
        planning.plan_user(
            b.user(b.phone(BOB_PHONE), b.totp("Authenticator"), user_id="auth0|bob"),
            [],
            policy,
        ),
    ]
    for index in range(unchanged):
        users.append(
            planning.plan_user(
                b.user(b.totp("App"), user_id=f"auth0|user{index:02d}"),
                [b.live("totp|dev_x", "totp", "App")],
                policy,
            )
        )
    if with_errors:
        users.append(
            planning.plan_user(
                b.user(b.pinned("phone|dev_gone", "phone"), user_id="auth0|carol"), [], policy
            )
        )
        users.append(
            planning.plan_user(
                models.DesiredUser(
                    email="dave.smith@example.com",
                    methods=(
                        b.totp(
                            "App",
                            seed=None,
                            reference="${file:seeds.yaml#dave}",
                            problem="no such key",
                        ),
                        b.email("dave.smith@example.com"),
                    ),
                ),
                [],
                policy,
                user_id="auth0|dave",
            )
        )
        users.append(
            planning.plan_user(
                models.DesiredUser(
                    email="carol@example.com", methods=(b.email("carol@example.com", "Mail"),)
                ),
                [b.live_email("email|dev_c", "caro*@exam*******", "Mail")],
                policy,
                user_id="auth0|carol2",
            )
        )
    return plans.Plan(users=tuple(users))
