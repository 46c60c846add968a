"""`mfasync import otpauth`: `<user> <otpauth URI>` lines; seeds go to the secrets file only."""

from __future__ import annotations

from mfasync import manifests, secretrefs
from tests.importers.conftest import Runner

GOOD = (
    "# exported from the legacy OTP server\n"
    "auth0|quinn otpauth://totp/Legacy:quinn?secret=JBSWY3DPEHPK3PXP&issuer=Legacy\n"
    "\n"
    "rose@example.com otpauth://totp/Legacy:rose?secret=gezdgnbvgy3tqojq&digits=6&period=30\n"
)


def test_otpauth_lines_become_totp_methods_referencing_the_secrets_file(run_import: Runner) -> None:
    run = run_import("otpauth", GOOD)
    assert run.exit_code == 0
    loaded = manifests.load([run.out_dir / "users-0001.yaml"])
    assert [u.key for u in loaded.users] == ["auth0|quinn", "email:rose@example.com"]
    refs = [
        source.reference
        for user in loaded.users
        if (source := user.methods[0].totp_secret) is not None and source.reference is not None
    ]
    assert refs == [
        "${file:.secrets.yaml#auth0_quinn_totp}",
        "${file:.secrets.yaml#email_rose_example_com_totp}",
    ]
    resolver = secretrefs.Resolver({})
    seeds = [resolver.resolve_reference(ref, base_dir=str(run.out_dir)) for ref in refs]
    assert seeds == ["JBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQ"]


def test_otpauth_bad_lines_are_reported_with_line_numbers(run_import: Runner) -> None:
    run = run_import(
        "otpauth",
        GOOD
        + "auth0|sam otpauth://totp/Legacy:sam?secret=MFRGGZDFMZTWQ2LK&digits=8\n"  # line 5
        + "otpauth://totp/Legacy:tess?secret=MFRGGZDFMZTWQ2LK\n"  # line 6
        + "auth0|uma JBSWY3DPEHPK3PXP\n"  # line 7
        + "auth0|vic\n"  # line 8
        + "auth0|wes otpauth://totp/Legacy:wes?secret=MFRGGZDFMZTWQ2LK&algorithm=SHA256\n",
    )
    assert run.exit_code == 1
    assert run.reasons == [
        ("line 5", "auth0|sam", "the otpauth URI asks for 8 digits; Auth0 TOTP uses 6 digits only"),
        ("line 6", None, "missing user: expected '<user_id or email> <otpauth URI>'"),
        (
            "line 7",
            "auth0|uma",
            "the second field is not an otpauth:// URI: "
            "expected '<user_id or email> <otpauth URI>'",
        ),
        ("line 8", None, "missing URI: expected '<user_id or email> <otpauth URI>'"),
        (
            "line 9",
            "auth0|wes",
            "the otpauth URI asks for algorithm SHA256; Auth0 TOTP uses SHA1 only",
        ),
    ]
    assert run.report["summary"]["users"] == 2
