"""Redaction of secrets for reprs, logs, reports and assertion messages.

One place decides what a secret looks like once printed, so every repr and message
in the package agrees and a reviewer has one function to audit.
"""

from __future__ import annotations

__all__ = ["redact", "redact_text"]

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
