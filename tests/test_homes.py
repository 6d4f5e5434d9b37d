"""The temporary homes AwsEnv hands out: always new, empty and private; gone once handed back."""

from __future__ import annotations

import os
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
    """The directories set aside for reuse."""
    return [p.stat().st_ino for p in root.iterdir() if p.name.startswith("spare-")]


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
