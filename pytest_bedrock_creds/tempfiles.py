"""Private temporary files: directories 0700, files 0600, removed on exit and on SIGTERM.

The fake credentials are worthless, but the files holding them look real to secret scanners
and to other users of a shared CI machine, so they get the modes the AWS CLI gives
``~/.aws``: the directory 0700, the credentials and config files 0600.

A run cancelled with SIGTERM (a CI job's cancel button, ``timeout``, a container stop) dies
without running ``finally`` blocks or ``atexit``. While a directory made here exists, the
process therefore has a SIGTERM handler that removes every such directory and then lets the
signal kill the process as it would have (exit status -15). The handler is installed only
where SIGTERM still has its default action, from the main thread; a handler someone else
installed is left alone.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

__all__ = ["make_private_dir", "private_subdir", "remove_private_dir", "write_private"]

_live: dict[str, None] = {}  # insertion-ordered set of directories to remove
_lock = threading.Lock()
_atexit_registered = False
_handler_installed = False


def make_private_dir(prefix: str) -> Path:
    """A fresh temporary directory (mode 0700) that is removed on exit or SIGTERM if nobody removes it."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    with _lock:
        _live[str(path)] = None
    _arm()
    return path


def remove_private_dir(path: str | os.PathLike[str]) -> None:
    """Remove a directory made by :func:`make_private_dir` (a missing one is fine)."""
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _live.pop(os.fspath(path), None)


def private_subdir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, also when the file already existed with another mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        else:  # pragma: no cover - Windows before 3.13
            os.chmod(path, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _remove_all() -> None:
    # No lock: the SIGTERM handler may interrupt the main thread while it holds it.
    # Copying a dict's keys is atomic under the GIL.
    for path in list(_live):
        shutil.rmtree(path, ignore_errors=True)
        _live.pop(path, None)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _remove_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _arm() -> None:
    global _atexit_registered, _handler_installed
    if not _atexit_registered:
        _atexit_registered = True
        atexit.register(_remove_all)
    if _handler_installed or not hasattr(signal, "SIGTERM"):
        return
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread; a later call may
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # pragma: no cover - an embedded interpreter without signals
        return
    _handler_installed = True
