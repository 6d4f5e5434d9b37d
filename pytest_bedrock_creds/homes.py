"""Temporary home directories for :class:`~pytest_bedrock_creds.env.AwsEnv`: private, empty, cheap.

Every home is a fresh ``0700`` directory holding only an empty ``0700`` ``.aws``, inside one
private directory per process (``bedrock-creds-<random>`` in the system temporary directory,
removed when the process exits or is sent SIGTERM). Creating and removing directories for
every test is the slow part of an isolated test on many filesystems (removal can cost
milliseconds where a rename costs microseconds), so a home handed back still as it was made
(nothing but the empty ``.aws``, both ``0700``) and not the working directory is renamed, at
once, to the new name under which it is handed out again; anything else is removed at once. Either way the path a
test saw no longer exists once it is handed back.
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import threading
from pathlib import Path

from pytest_bedrock_creds.tempfiles import make_private_dir

__all__ = ["give_back", "inside", "real_path", "take"]

#: Empty homes kept for reuse at most; more are removed.
_SPARES = 4

_lock = threading.Lock()
_root: Path | None = None
_root_text = ""  # str(_root)
_root_real = ""  # os.path.realpath(_root): what os.getcwd() reports inside it
_spares: list[str] = []
_names = itertools.count(1)


def _private_root() -> Path:
    global _root, _root_text, _root_real
    if _root is None or not os.path.isdir(_root_text):
        _root = make_private_dir("bedrock-creds-")  # removed at exit and on SIGTERM
        _root_text, _root_real = os.fspath(_root), os.path.realpath(_root)
    return _root


def real_path(home: Path) -> str:
    """``home`` with every symbolic link resolved (for a home :func:`take` made, without asking the
    filesystem: homes are plain directories inside the private root)."""
    path = os.fspath(home)
    if _root is not None and os.path.dirname(path) == _root_text:
        return os.path.join(_root_real, os.path.basename(path))
    return os.path.realpath(path)


def inside(path: str, directory: str) -> bool:
    """``path`` is ``directory`` or lies under it (both as text, links already resolved or not)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def take() -> Path:
    """A new private directory holding only an empty private ``.aws`` (0700, as the AWS CLI makes
    it); its path was never handed out before in this process."""
    with _lock:
        while _spares:  # renamed aside by give_back() under a name never handed out (in the root, then)
            spare = _spares.pop()
            if os.path.dirname(spare) == _root_text and os.path.isdir(spare):
                return Path(spare)
        home = _private_root() / f"home-{next(_names)}"
        aws = os.path.join(home, ".aws")
        os.mkdir(home, 0o700)
        os.mkdir(aws, 0o700)
        os.chmod(aws, 0o700)  # whatever the umask
        return home


def give_back(home: Path) -> None:
    """Done with ``home``: it is removed, or, when still as :func:`take` made it (an empty private
    ``.aws`` and nothing else), renamed aside, under the new name the next :func:`take` hands out."""
    with _lock:
        if len(_spares) < _SPARES and _reusable(home):
            spare = os.path.join(_root_text, f"home-{next(_names)}")
            try:
                os.rename(home, spare)
                _spares.append(spare)
                return
            except OSError:
                pass
    shutil.rmtree(home, ignore_errors=True)


def _reusable(home: Path) -> bool:
    path = os.fspath(home)
    if _root is None or os.path.dirname(path) != _root_text:
        return False
    try:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or stat.S_IMODE(info.st_mode) != 0o700:
            return False
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return False
        with os.scandir(path) as entries:
            if [entry.name for entry in entries] != [".aws"]:
                return False
        aws = os.path.join(path, ".aws")
        info = os.lstat(aws)
        if not stat.S_ISDIR(info.st_mode) or stat.S_IMODE(info.st_mode) != 0o700:
            return False
        with os.scandir(aws) as entries:
            if next(entries, None) is not None:
                return False
        cwd = os.getcwd()
    except OSError:
        return False
    return not inside(cwd, real_path(home)) and not inside(cwd, path)
