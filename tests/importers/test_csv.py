"""`mfasync import csv`: rows become merged users; every bad row is reported with its line."""

from __future__ import annotations

from mfasync import manifests, models
from tests.importers.conftest import Runner

HEADER = "user_id,email,type,value,name\n"


def test_csv_rows_of_one_user_are_merged_into_one_manifest_user(run_import: Runner) -> None:
    run = run_import(
        "csv",
        HEADER
        + "auth0|alice,alice@example.com,sms,+1 202 555 0143,Work phone\n"
        + "auth0|alice,,totp,JBSWY3DPEHPK3PXP,Authenticator\n"
        + ",alice@example.com,email,,\n",
    )
    assert run.exit_code == 0
    loaded = manifests.load([run.out_dir / "users-0001.yaml"])
    assert [user.key for user in loaded.users] == ["auth0|alice"]
    methods = loaded.users[0].methods
    assert [m.type.value for m in methods] == ["phone", "totp", "email"]
    assert methods[0].phone_number == "+12025550143"
    assert methods[0].preferred_authentication_method is models.PreferredMethod.SMS
    assert methods[0].name == "Work phone"
    assert methods[1].totp_secret is not None
    assert methods[1].totp_secret.reference == "${file:.secrets.yaml#auth0_alice_totp}"
    # An email factor without a value is the user's own address.
    assert methods[2].email == "alice@example.com"
    assert run.report["summary"]["methods"] == {"email": 1, "phone": 1, "totp": 1}


def test_csv_voice_type_is_a_phone_preferring_voice(run_import: Runner) -> None:
    run = run_import("csv", HEADER + "auth0|bob,,voice,+44 20 7946 0958,Desk\n")
    assert run.exit_code == 0
    method = manifests.load([run.out_dir / "users-0001.yaml"]).users[0].methods[0]
    assert method.type is models.MethodType.PHONE
    assert method.phone_number == "+442079460958"
    assert method.preferred_authentication_method is models.PreferredMethod.VOICE


def test_csv_bad_rows_are_reported_with_line_user_and_reason(run_import: Runner) -> None:
    run = run_import(
        "csv",
        HEADER
        + "auth0|ok,,sms,+12025550143,\n"  # line 2: good
        + "auth0|dave,,sms,555-1234,\n"  # line 3
        + "auth0|dave,,totp,NOT-BASE32!,\n"  # line 4
        + "auth0|erin,,push,,\n"  # line 5
        + ",,sms,+12025550199,\n"  # line 6
        + "auth0|frank,,email,not-an-email,\n"  # line 7
        + "auth0|grace,,totp,otpauth://hotp/x?secret=MFRGGZDFMZTWQ2LK&counter=1,\n"  # line 8
        + "auth0|hank,,sms,,\n"  # line 9
        + "auth0|ivan,,sms,+12025550144,This name is far too long\n",  # line 10
    )
    assert run.exit_code == 1
    found = {where: (user, reason) for where, user, reason in run.reasons}
    assert [where for where, _, _ in run.reasons] == [f"line {n}" for n in range(3, 11)]
    assert found["line 3"][0] == "auth0|dave"
    assert found["line 3"][1].startswith("phone …1234: 'phone_number' must be an international")
    assert found["line 4"][1].startswith("the TOTP secret is n")  # not / neither Base32 ...
    assert "Base32" in found["line 4"][1]
    assert found["line 5"] == (
        "auth0|erin",
        "unknown type 'push': allowed types are phone, sms, voice, email, totp",
    )
    assert found["line 6"] == (None, "missing user: the row has no user_id and no email")
    assert found["line 7"][1].startswith("'email' is not a valid email address")
    assert found["line 8"][1].startswith("the otpauth URI is for HOTP")
    assert found["line 9"] == ("auth0|hank", "missing value for a sms factor")
    assert found["line 10"][1] == "'name' must be 1 to 20 characters, not 25"
    # The good row is still written.
    assert [u.key for u in manifests.load([run.out_dir / "users-0001.yaml"]).users] == ["auth0|ok"]
    assert "line 3 (auth0|dave): phone …1234" in run.stderr


def test_csv_line_numbers_count_lines_inside_quoted_cells(run_import: Runner) -> None:
    run = run_import(
        "csv",
        HEADER + 'auth0|a,,fax,"two\nlines",\n' + "auth0|b,,fax,1,\n",
    )
    assert [where for where, _, _ in run.reasons] == ["line 2", "line 4"]


def test_csv_identical_duplicate_rows_are_written_once_without_failing(run_import: Runner) -> None:
    row = "auth0|alice,,sms,+12025550143,Work\n"
    run = run_import("csv", HEADER + row + row)
    assert run.exit_code == 0
    assert run.report["summary"]["duplicates_merged"] == 1
    assert len(manifests.load([run.out_dir / "users-0001.yaml"]).users[0].methods) == 1


def test_csv_conflicting_duplicate_of_a_factor_is_rejected(run_import: Runner) -> None:
    run = run_import(
        "csv", HEADER + "auth0|alice,,sms,+12025550143,Work\nauth0|alice,,voice,+12025550143,Work\n"
    )
    assert run.exit_code == 1
    assert run.reasons == [
        (
            "line 3",
            "auth0|alice",
            "same phone as line 2 with a different name or preferred method: keep one of them",
        )
    ]


def test_csv_email_only_row_of_an_email_shared_by_two_user_ids_is_rejected(
    run_import: Runner,
) -> None:
    run = run_import(
        "csv",
        HEADER
        + "auth0|a,shared@example.com,sms,+12025550143,\n"
        + "google-oauth2|a,shared@example.com,sms,+12025550144,\n"
        + ",shared@example.com,email,,\n",
    )
    assert run.reasons == [
        (
            "line 4",
            "shared@example.com",
            "this email belongs to several user_ids (auth0|a, google-oauth2|a): give one",
        )
    ]


def test_csv_email_only_users_are_keyed_by_their_normalised_address(run_import: Runner) -> None:
    run = run_import("csv", HEADER + ",Carol@Example.ORG,sms,+61 491 570 156,\n")
    assert run.exit_code == 0
    user = manifests.load([run.out_dir / "users-0001.yaml"]).users[0]
    assert user.key == "email:Carol@example.org"


def test_csv_with_a_wrong_header_is_rejected_at_line_1(run_import: Runner) -> None:
    run = run_import("csv", "user,kind,secret\nauth0|a,totp,JBSWY3DPEHPK3PXP\n")
    assert run.exit_code == 1
    assert run.reasons == [
        (
            "line 1",
            None,
            "unknown column(s) kind, secret, user: "
            "the header must be user_id,email,type,value,name",
        )
    ]
    assert run.report["files"] == []


def test_csv_row_with_more_cells_than_the_header_is_rejected(run_import: Runner) -> None:
    run = run_import("csv", HEADER + "auth0|a,,sms,+12025550143,Smith, John\n")
    assert run.reasons == [
        ("line 2", None, "6 cells but the header has 5 (quote cells with commas)")
    ]


def test_csv_type_and_header_are_case_insensitive(run_import: Runner) -> None:
    run = run_import("csv", "User_ID,Email,Type,Value,Name\nauth0|a,,SMS,+12025550143,\n")
    assert run.exit_code == 0
    assert run.report["summary"]["users"] == 1
