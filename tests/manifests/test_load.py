"""Loading manifest sets: the walk, cross-file duplicates, and errors from every file at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfasync import errors, manifests

USER = "version: 1\nusers:\n  - user_id: {uid}\n    prune: none\n    methods: []\n"


def test_directories_are_walked_in_sorted_order_skipping_hidden_and_other_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "z.yml").write_text(USER.format(uid="z"))
    (tmp_path / "a.yaml").write_text(USER.format(uid="a"))
    (tmp_path / ".hidden" / "h.yaml").write_text("not: a manifest\n")
    (tmp_path / "secrets.json").write_text('{"a": "JBSWY3DPEHPK3PXP"}')
    loaded = manifests.load([tmp_path])
    assert [u.user_id for u in loaded.users] == ["a", "z"]
    assert loaded.files == (str(tmp_path / "a.yaml"), str(tmp_path / "b" / "z.yml"))


def test_references_record_the_manifest_folder(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "t.yaml").write_text(
        "version: 1\nusers:\n  - user_id: a\n    methods:\n"
        "      - {type: totp, totp_secret: '${file:s.json#a}'}\n"
    )
    (user,) = manifests.load([tmp_path]).users
    assert user.methods[0].totp_secret is not None
    assert user.methods[0].totp_secret.base_dir == str((tmp_path / "team").resolve())


def test_user_listed_in_two_files_is_an_error_naming_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(USER.format(uid="'auth0|x'"))
    (tmp_path / "b.yaml").write_text(USER.format(uid="'auth0|x'"))
    with pytest.raises(errors.ManifestError) as caught:
        manifests.load([tmp_path])
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'b.yaml'}:3:5: error: user 'auth0|x' is listed twice: first at "
        f"{tmp_path / 'a.yaml'}:3:5"
    ]


def test_load_raises_every_error_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 2\nusers: []\n")
    (tmp_path / "b.yaml").write_text("version: 1\n")
    (tmp_path / "c.yaml").write_bytes(b"version: 1\nusers: []\n\xff\xfe")
    with pytest.raises(errors.ManifestError) as caught:
        manifests.load([tmp_path])
    assert [(Path(p.source).name, p.line, p.column) for p in caught.value.problems] == [
        ("a.yaml", 1, 10),
        ("b.yaml", 1, 1),
        ("c.yaml", 3, 1),
    ]


def test_warnings_do_not_stop_a_load(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("version: 1\nusers:\n  - {user_id: a, methods: []}\n")
    loaded = manifests.load([tmp_path / "a.yaml"])
    assert len(loaded.users) == 1
    assert [w.severity for w in loaded.warnings] == ["warning"]


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(USER.format(uid="a"))
    loaded = manifests.load([tmp_path, tmp_path / "a.yaml"])
    assert [u.user_id for u in loaded.users] == ["a"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError, match=r"^no such file or directory: .*nope$"):
        manifests.load([tmp_path / "nope"])


def test_directory_without_manifests_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError, match=r"^no manifests \(\*\.yaml, \*\.yml\) found in "):
        manifests.load([tmp_path])
