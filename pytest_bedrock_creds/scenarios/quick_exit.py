"""A process that ran scenario targets leaves without the interpreter's last garbage collections.

The targets import their clients (litellm, anthropic, langchain-aws, pydantic-ai, strands-agents,
botocore's models): some millions of objects. At exit, CPython clears every module and runs its
cyclic garbage collector over all of them, several times; here that took about 1.9 s after those
imports alone, and 3 s at the end of a ``pytest fixtures/`` run, paid once serially and by every
xdist worker (the controller waits for them). :func:`freeze_at_exit` registers :func:`gc.freeze`
as an ``atexit`` handler: when the interpreter exits, every object still alive moves to the
permanent generation, which those collections skip (0.1 s for the same imports).

Only at exit, so a process that runs pytest and goes on (``pytest.main`` in a longer program,
pytester's in-process runs) collects garbage as before until it ends. Handlers registered before
it still run after it (``atexit`` runs them last in, first out), the temporary directories' removal
and ``logging.shutdown`` among them. What it skips is the cyclic collector's pass at exit, which
CPython does not promise anyway ("It is not guaranteed that ``__del__()`` methods are called for
objects that still exist when the interpreter exits").
"""

from __future__ import annotations

import atexit
import gc
import threading

__all__ = ["freeze_at_exit"]

_lock = threading.Lock()
_registered = False


def freeze_at_exit() -> None:
    """Have :func:`gc.freeze` run when the interpreter exits (registered once per process)."""
    global _registered
    with _lock:
        if not _registered:
            atexit.register(gc.freeze)
            _registered = True
