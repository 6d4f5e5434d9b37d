"""What real SDKs recompute for every client, computed once per run: the runner's only help to them.

Each scenario item builds its clients from nothing. Two start-up costs repeat without telling
anything about credentials, and :func:`sdk_reuse` pays each once per run.

**botocore.** Clients that build their own botocore
session per call (AnthropicBedrock per request, langchain-aws, strands-agents, pydantic-ai and
litellm per model object) pay botocore's start-up every item: about 16 ms to register its ~500
built-in event handlers (an event-name alias lookup and an ``inspect`` signature per handler) and
about 120 ms to parse the service models and ``endpoints.json`` again, leaving some 30,000 objects
of cyclic garbage. Inside :func:`sdk_reuse`:

* every new session gets the data loader of its data path: botocore's own
  ``create_loader(data_path)``, read lazily from the session's ``data_path`` setting as botocore
  does, made once per path. It is registered through ``botocore.register_initializer``, botocore's
  public hook for every new session. The files are read-only data.
* ``EventAliaser`` instances with botocore's default aliases share one alias cache (botocore keeps
  one per instance; the mapping depends only on the event name and the aliases).
* the handler signature check (``accepts_kwargs``) is remembered per function object, held weakly.

Credentials, configuration files, environment variables, endpoints and signing go through botocore
unchanged; a test compares a session made inside with one made outside, handler by handler.

**The experimental client** discovers its credential chain's providers on every client set-up with
``importlib.metadata.entry_points(group=...)``, which reads the metadata of every installed
distribution (about 19 ms with 137 installed). Inside, a call with the same arguments and the same
``sys.path`` returns the answer of the first: the same entry points, loaded by the SDK as before.

Every change is undone on exit.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import sys
import types
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

__all__ = ["sdk_reuse"]

#: The keys of this run's shared state in the runner's cache: botocore's, and the entry points found
#: ((arguments, sys.path) -> answer).
_BOTOCORE_KEY = "botocore-reuse"
_ENTRY_POINTS_KEY = "entry-points"


@contextmanager
def sdk_reuse(cache: dict[str, Any]) -> Iterator[None]:
    """Within, new botocore sessions and the experimental client's set-up reuse what earlier ones
    computed (state kept in ``cache``, one run's)."""
    with ExitStack() as undo:
        found = cache.setdefault(_ENTRY_POINTS_KEY, {})
        original = importlib.metadata.entry_points
        setattr(importlib.metadata, "entry_points", _remembered_entry_points(original, found))  # noqa: B010
        undo.callback(setattr, importlib.metadata, "entry_points", original)
        if importlib.util.find_spec("botocore") is not None:
            undo.enter_context(_botocore_reuse(cache))
        yield


def _remembered_entry_points(original: Callable[..., Any], found: dict[Any, Any]) -> Callable[..., Any]:
    def entry_points(**params: Any) -> Any:
        key = (tuple(sorted(params.items())), tuple(sys.path))
        try:
            hash(key)
        except TypeError:  # not a selection we can remember
            return original(**params)
        if key not in found:
            found[key] = original(**params)
        return found[key]

    return entry_points


@contextmanager
def _botocore_reuse(cache: dict[str, Any]) -> Iterator[None]:
    import botocore
    from botocore.loaders import create_loader

    hooks: Any = importlib.import_module("botocore.hooks")  # private names, typed loosely on purpose

    state = cache.setdefault(_BOTOCORE_KEY, {"loaders": {}, "aliases": {}, "kwargs": weakref.WeakKeyDictionary()})
    loaders: dict[str | None, Any] = state["loaders"]

    def initializer(session: Any) -> None:
        def loader() -> Any:
            path = session.get_config_variable("data_path")
            if path not in loaders:
                loaders[path] = create_loader(path)
            return loaders[path]

        session.lazy_register_component("data_loader", loader)

    with ExitStack() as undo:
        botocore.register_initializer(initializer)
        undo.callback(botocore.unregister_initializer, initializer)
        aliaser = hooks.EventAliaser
        original_alias = aliaser.__dict__["_alias_event_name"]
        aliaser._alias_event_name = _shared_aliases(original_alias, state["aliases"], hooks.EVENT_ALIASES)
        undo.callback(setattr, aliaser, "_alias_event_name", original_alias)
        original_kwargs = hooks.accepts_kwargs
        hooks.accepts_kwargs = _remembered_kwargs(original_kwargs, state["kwargs"])
        undo.callback(setattr, hooks, "accepts_kwargs", original_kwargs)
        yield


def _shared_aliases(original: Callable[[Any, str], str], shared: dict[str, str],
                    defaults: dict[str, str]) -> Callable[[Any, str], str]:
    def _alias_event_name(self: Any, event_name: str) -> str:
        own: dict[str, str] = self._alias_name_cache
        if not own and own is not shared and self._event_aliases == defaults:  # first use: join the shared cache
            self._alias_name_cache = own = shared
        found = own.get(event_name)
        return found if found is not None else original(self, event_name)

    return _alias_event_name


def _remembered_kwargs(original: Callable[[Any], Any],
                       known: weakref.WeakKeyDictionary[Any, Any]) -> Callable[[Any], Any]:
    def accepts_kwargs(func: Any) -> Any:  # the name of the ``**`` parameter, or None
        target = func.__func__ if inspect.ismethod(func) else func
        if not isinstance(target, types.FunctionType) or "__signature__" in vars(target):
            return original(func)
        if target not in known:
            known[target] = original(func)
        return known[target]

    return accepts_kwargs
