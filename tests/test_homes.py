"""The temporary homes AwsEnv hands out: always new, empty and private; gone once handed back."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from pytest_bedrock_creds import homes
from pytest_bedrock_creds.env import AwsEnv


def test_each_home_is_new_empty_and_private() -> None:
    first, second = homes.take(), homes.take()
    try:
        assert first != second
        for home in (first, second):
            assert home.is_dir() and list(home.iterdir()) == [home / ".aws"]
            assert list((home / ".aws").iterdir()) == []
            assert stat.S_IMODE(home.stat().st_mode) == 0o700
            assert stat.S_IMODE((home / ".aws").stat().st_mode) == 0o700
    finally:
        homes.give_back(first)
        homes.give_back(second)
    assert not first.exists() and not second.exists()


def test_an_empty_home_is_reused_under_a_new_name() -> None:
    home = homes.take()
    inode = home.stat().st_ino
    homes.give_back(home)
    again = homes.take()
    try:
        assert again != home and not home.exists()
        assert again.stat().st_ino == inode  # renamed, not created and removed
    finally:
        homes.give_back(again)


@pytest.mark.parametrize(
    "use",
    [
        lambda home: (home / "credentials").write_text("[default]\n"),
        lambda home: (home / ".aws" / "config").write_text("[default]\n"),
        lambda home: (home / "other").mkdir(),
        lambda home: home.chmod(0o755),
        lambda home: (home / ".aws").chmod(0o755),
        lambda home: (home / ".aws").rmdir(),
    ],
    ids=["a-file", "a-file-in-aws", "a-directory", "other-permissions", "aws-permissions", "no-aws"],
)
def test_a_used_home_is_removed_not_reused(use: object) -> None:
    home = homes.take()
    inode = home.stat().st_ino
    use(home)  # type: ignore[operator]
    homes.give_back(home)
    assert not home.exists()
    assert inode not in spare_inodes(home.parent)
    again = homes.take()
    try:
        assert list(again.iterdir()) == [again / ".aws"] and list((again / ".aws").iterdir()) == []
        assert stat.S_IMODE(again.stat().st_mode) == 0o700 == stat.S_IMODE((again / ".aws").stat().st_mode)
    finally:
        homes.give_back(again)


def spare_inodes(root: Path) -> list[int]:
    """The directories set aside for reuse (in ``root``, under names not handed out yet)."""
    return [os.lstat(p).st_ino for p in homes._spares if os.path.dirname(p) == str(root)]


def test_the_working_directory_is_never_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    home = homes.take()
    inode = home.stat().st_ino
    monkeypatch.chdir(home)
    homes.give_back(home)
    assert not home.exists()
    assert inode not in spare_inodes(home.parent)


def test_aws_env_homes_come_from_here_and_vanish() -> None:
    with AwsEnv() as env:
        home = env.home
        assert Path(os.environ["HOME"]) == home and home.is_dir() and list(home.iterdir()) == [home / ".aws"]
        assert list((home / ".aws").iterdir()) == []  # made 0700 on entry, as the AWS CLI makes it
        assert home.parent.name.startswith("bedrock-creds-")
    assert not home.exists()


def test_a_home_whose_aws_directory_stayed_empty_is_reused() -> None:
    with AwsEnv() as env:
        home = env.home
        inode = home.stat().st_ino
    assert inode in spare_inodes(home.parent)


def test_a_working_directory_inside_a_home_reached_through_a_link_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary directory may be a symbolic link (macOS's /tmp): os.getcwd() then names the
    real directory, and AwsEnv still sees that the test is standing inside the home it removes."""
    import tempfile

    real = tmp_path / "real-tmp"
    real.mkdir()
    (tmp_path / "linked-tmp").symlink_to(real, target_is_directory=True)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "linked-tmp"))
    for name, value in (("_root", None), ("_root_text", ""), ("_root_real", ""), ("_spares", [])):
        monkeypatch.setattr(homes, name, value)  # a root of this test's own, then the process's again
    monkeypatch.chdir(tmp_path)
    with AwsEnv() as env:
        assert str(env.home).startswith(str(tmp_path / "linked-tmp"))
        os.chdir(env.home / ".aws")
        assert os.getcwd().startswith(str(real))  # the kernel's answer has the link resolved
        home = env.home
    assert os.getcwd() == str(tmp_path)  # back where the block started
    assert not home.exists()


def test_a_root_removed_behind_its_back_is_made_again(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("_root", None), ("_root_text", ""), ("_root_real", ""), ("_spares", [])):
        monkeypatch.setattr(homes, name, value)  # a root of this test's own, then the process's again
    homes.give_back(homes.take())  # a spare, inside the root
    assert homes._spares and homes._root is not None
    shutil.rmtree(homes._root)
    again = homes.take()
    try:
        assert again.is_dir() and list(again.iterdir()) == [again / ".aws"]
        assert stat.S_IMODE(again.stat().st_mode) == 0o700
    finally:
        homes.give_back(again)
        shutil.rmtree(homes._root_text, ignore_errors=True)
