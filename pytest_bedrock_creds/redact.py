"""Redaction of secrets for reprs, logs, reports and assertion messages.

One place decides what a secret looks like once printed, so every repr and message
in the package agrees and a reviewer has one function to audit.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["hidden_from_diffs", "redact", "redact_text"]

_T = TypeVar("_T", bound=type)

#: Prefixes that say what kind of secret a value is and nothing about its content.
_PUBLIC_PREFIXES = ("bedrock-api-key-", "ABSK")


def redact(secret: str | None) -> str:
    """Return a printable stand-in for ``secret`` that never contains any of it.

    Only the length is shown, plus the public type prefix of a Bedrock API key
    (``ABSK`` or ``bedrock-api-key-``), which tells the two kinds apart.

    >>> redact("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    '<redacted, 40 chars>'
    >>> redact("ABSKQmVkcm9ja0FQSUtleS1hYmNk")
    "'ABSK…' <redacted, 28 chars>"
    >>> redact(None)
    'None'
    """
    if secret is None:
        return "None"
    if secret == "":
        return "''"
    for prefix in _PUBLIC_PREFIXES:
        if secret.startswith(prefix) and len(secret) > len(prefix) + 8:
            return f"'{prefix}…' <redacted, {len(secret)} chars>"
    return f"<redacted, {len(secret)} chars>"


def redact_text(text: str, secrets: list[str] | tuple[str, ...] | set[str]) -> str:
    """Replace every occurrence of each of ``secrets`` in ``text`` by its redacted form."""
    for secret in sorted((s for s in secrets if s and s.strip()), key=len, reverse=True):
        text = text.replace(secret, redact(secret))
    return text


def hidden_from_diffs(cls: _T) -> _T:
    """Class decorator for a dataclass that holds secrets: keep its equality, hide its fields from diffs.

    pytest explains a failed ``assert a == b`` between two dataclasses field by field, printing each
    differing field's raw value (a token, a secret) when ``__eq__`` is the one ``dataclasses``
    generated. With an ``__eq__`` of its own, pytest shows only the two reprs, which redact. The
    replacement compares the same fields in the same order, so equality and hashing do not change.
    """
    names = tuple(f.name for f in dataclasses.fields(cls) if f.compare)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    __eq__.__qualname__ = f"{cls.__qualname__}.__eq__"
    setattr(cls, "__eq__", __eq__)  # noqa: B010 - mypy refuses assigning to a method
    return cls
