"""A snapshot of the whole process environment, and putting it back exactly.

``AwsEnv`` takes one on entry and restores it on exit (or when the test's ``monkeypatch`` undoes
it), in every test that uses ``aws_env``: it has to be cheap. ``dict(os.environ)`` decodes every
name and value, and comparing through ``os.environ`` decodes them again (about 17 µs each way for
40 variables). Where CPython keeps the encoded mapping behind ``os.environ`` (``os.environ._data``,
bytes to bytes on POSIX), the snapshot copies that in C and the restore compares encoded values,
decoding only the names it changes; elsewhere it works through ``os.environ`` itself.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["EnvironSnapshot", "names_set"]


def _encoded() -> dict[Any, Any] | None:
    """The encoded mapping behind ``os.environ``, where CPython has one."""
    data = getattr(os.environ, "_data", None)
    return data if isinstance(data, dict) and hasattr(os.environ, "decodekey") else None


def names_set(prefix: str, names: frozenset[str]) -> list[str]:
    """The variables set now whose name starts with ``prefix`` or is one of ``names`` (read off
    the encoded mapping where there is one, decoding only those)."""
    data = _encoded()
    if data is None:
        return [name for name in os.environ if name.startswith(prefix) or name in names]
    start, encoded = _encoded_names(prefix, names)
    decode = os.environ.decodekey
    return [decode(key) for key in data if key.startswith(start) or key in encoded]


@functools.cache
def _encoded_names(prefix: str, names: frozenset[str]) -> tuple[Any, frozenset[Any]]:
    return os.environ.encodekey(prefix), frozenset(os.environ.encodekey(name) for name in names)


class EnvironSnapshot:
    """Every name and value of ``os.environ`` when it was taken; :meth:`restore` makes the
    environment that again (names added since are removed, empty values kept)."""

    def __init__(self, *, encoded: bool = True) -> None:
        """``encoded=False`` works through ``os.environ`` even where the encoded mapping exists."""
        data = _encoded() if encoded else None
        self._encoded = data is not None
        self._saved: dict[Any, Any] = dict(data) if data is not None else dict(os.environ)

    def restore(self) -> None:
        data = _encoded() if self._encoded else None
        if data is None and self._encoded:  # os.environ has changed kind since: go through it
            self._saved = {os.environ.decodekey(k): os.environ.decodevalue(v) for k, v in self._saved.items()}
            self._encoded = False
        current: Mapping[Any, Any] = os.environ if data is None else data
        key_of, value_of = (_as_is, _as_is) if data is None else (os.environ.decodekey, os.environ.decodevalue)
        for key in [key for key in current if key not in self._saved]:
            del os.environ[key_of(key)]
        for key, value in self._saved.items():
            if current.get(key) != value:
                os.environ[key_of(key)] = value_of(value)


def _as_is(value: Any) -> Any:
    return value
