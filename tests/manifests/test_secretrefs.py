"""Secret references: syntax, resolution, the folder-tree rule, caching, and no seed in messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from mfasync import errors, models, secretrefs

SEED = "JBSWY3DPEHPK3PXP"


def _source(reference: str, base_dir: Path | None) -> models.SecretSource:
    return models.SecretSource(
        reference=reference, base_dir=str(base_dir) if base_dir is not None else None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP"),
        ("jbsw y3dp ehpk 3pxp", "JBSWY3DPEHPK3PXP"),
        ("JBSWY3DPEHPK3PXP====", "JBSWY3DPEHPK3PXP"),
        ("  JBSWY3DPEHPK3PXP\n", "JBSWY3DPEHPK3PXP"),
        ("otpauth://totp/Ex:a@example.com?secret=jbswy3dpehpk3pxp&issuer=Ex", "JBSWY3DPEHPK3PXP"),
        ("OTPAUTH://TOTP/x?SECRET=JBSWY3DPEHPK3PXP&ALGORITHM=sha1&PERIOD=30", "JBSWY3DPEHPK3PXP"),
    ],
)
def test_normalize_totp_secret_gives_unpadded_upper_case_base32(text: str, expected: str) -> None:
    assert secretrefs.normalize_totp_secret(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "JBSWY3DPEHPK3PX1",
        "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP",
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=SHA512",
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PX!",
        "JBSWY3DPEHPK3PXPA",
    ],
)
def test_refused_secret_reason_never_contains_the_secret(text: str) -> None:
    with pytest.raises(errors.SecretRefError) as caught:
        secretrefs.normalize_totp_secret(text)
    assert "JBSWY3DPEHPK3PX" not in str(caught.value)


def test_env_reference_reads_the_mapping_given_not_os_environ() -> None:
    resolver = secretrefs.Resolver({"ALICE": "jbsw y3dp ehpk 3pxp"})
    resolved = resolver.resolve(_source("${env:ALICE}", None))
    assert (resolved.value, resolved.problem) == (SecretStr(SEED), None)
    assert resolved.reference == "${env:ALICE}"


def test_missing_env_variable_is_a_problem_naming_the_reference() -> None:
    resolved = secretrefs.Resolver({}).resolve(_source("${env:ALICE}", None))
    assert resolved.value is None
    assert resolved.problem == "${env:ALICE}: environment variable ALICE is not set"


def test_whole_file_reference_is_stripped(tmp_path: Path) -> None:
    (tmp_path / "seed.txt").write_text(f"\n  {SEED}  \n")
    resolved = secretrefs.Resolver({}).resolve(_source("${file:seed.txt}", tmp_path))
    assert resolved.value == SecretStr(SEED)


@pytest.mark.parametrize(
    ("name", "content"),
    [("seeds.yaml", f"alice: {SEED}\n"), ("seeds.json", f'{{"alice": "{SEED}"}}')],
)
def test_keyed_file_reference_reads_one_key_of_a_mapping(
    tmp_path: Path, name: str, content: str
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / name).write_text(content)
    resolved = secretrefs.Resolver({}).resolve(_source(f"${{file:sub/{name}#alice}}", tmp_path))
    assert resolved.value == SecretStr(SEED)


def test_missing_key_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(f"alice: {SEED}\n")
    resolved = secretrefs.Resolver({}).resolve(_source("${file:s.yaml#bob}", tmp_path))
    assert resolved.problem == "${file:s.yaml#bob}: key 'bob' not found in s.yaml"


def test_unparsable_secrets_file_message_does_not_quote_the_file(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(f"alice: {SEED}\n  bob: [\n")
    resolved = secretrefs.Resolver({}).resolve(_source("${file:s.yaml#alice}", tmp_path))
    assert resolved.problem == "${file:s.yaml#alice}: s.yaml is not valid YAML or JSON"


def test_parent_escape_is_refused_before_any_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text(SEED)
    manifest_dir = tmp_path / "m"
    manifest_dir.mkdir()
    resolved = secretrefs.Resolver({}).resolve(_source("${file:../outside.txt}", manifest_dir))
    assert resolved.value is None
    assert resolved.problem == (
        "${file:../outside.txt}: ${file:...} paths must stay inside the manifest's folder tree "
        "('..' leaves it)"
    )


def test_inner_parent_steps_that_stay_inside_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "seed.txt").write_text(SEED)
    resolved = secretrefs.Resolver({}).resolve(_source("${file:a/../seed.txt}", tmp_path))
    assert resolved.value == SecretStr(SEED)


def test_absolute_path_is_refused(tmp_path: Path) -> None:
    seed = tmp_path / "seed.txt"
    seed.write_text(SEED)
    resolved = secretrefs.Resolver({}).resolve(_source(f"${{file:{seed}}}", tmp_path))
    assert resolved.problem == (
        f"${{file:{seed}}}: ${{file:...}} paths must be relative to the manifest's folder, "
        "not absolute"
    )


def test_symlink_leading_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text(SEED)
    manifest_dir = tmp_path / "m"
    manifest_dir.mkdir()
    os.symlink(tmp_path / "outside.txt", manifest_dir / "link.txt")
    resolved = secretrefs.Resolver({}).resolve(_source("${file:link.txt}", manifest_dir))
    assert resolved.value is None
    assert resolved.problem == (
        "${file:link.txt}: the file is outside the manifest's folder tree (symlinks are followed)"
    )


def test_symlinked_folder_leading_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "vault").mkdir()
    (tmp_path / "vault" / "s.txt").write_text(SEED)
    manifest_dir = tmp_path / "m"
    manifest_dir.mkdir()
    os.symlink(tmp_path / "vault", manifest_dir / "secrets")
    resolved = secretrefs.Resolver({}).resolve(_source("${file:secrets/s.txt}", manifest_dir))
    assert resolved.value is None


def test_each_file_is_read_once_per_resolver(tmp_path: Path) -> None:
    seeds = tmp_path / "s.yaml"
    seeds.write_text(f"alice: {SEED}\nbob: {SEED}\n")
    resolver = secretrefs.Resolver({})
    first = resolver.resolve(_source("${file:s.yaml#alice}", tmp_path))
    seeds.unlink()  # a second read would now fail: the cache must answer
    second = resolver.resolve(_source("${file:s.yaml#bob}", tmp_path))
    assert (first.value, second.value) == (SecretStr(SEED), SecretStr(SEED))


def test_file_reference_without_a_manifest_folder_is_a_problem() -> None:
    resolved = secretrefs.Resolver({}).resolve(_source("${file:s.txt}", None))
    assert resolved.problem == (
        "${file:s.txt}: ${file:...} needs the manifest's folder, unknown for a manifest read "
        "from text"
    )


def test_resolved_value_that_is_not_base32_is_a_problem_without_the_value() -> None:
    resolved = secretrefs.Resolver({"X": "not a seed!"}).resolve(_source("${env:X}", None))
    assert resolved.problem is not None
    assert resolved.problem.startswith("${env:X}: the TOTP secret is neither Base32")
    assert "not a seed" not in resolved.problem


def test_resolve_user_fills_every_totp_and_leaves_other_methods_alone() -> None:
    user = models.DesiredUser(
        user_id="a",
        methods=(
            models.DesiredMethod(type=models.MethodType.PHONE, phone_number="+14155550142"),
            models.DesiredMethod(
                type=models.MethodType.TOTP,
                totp_secret=models.SecretSource(reference="${env:A}"),
            ),
        ),
    )
    resolved = secretrefs.Resolver({"A": SEED}).resolve_user(user)
    assert resolved.methods[0] == user.methods[0]
    assert resolved.methods[1].totp_secret == models.SecretSource(
        reference="${env:A}", value=SecretStr(SEED)
    )


def test_repr_of_a_resolved_source_does_not_show_the_seed() -> None:
    resolved = secretrefs.Resolver({"A": SEED}).resolve(_source("${env:A}", None))
    assert SEED not in repr(resolved) + str(resolved)
