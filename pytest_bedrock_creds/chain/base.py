"""The resolver interface every source implements."""

from __future__ import annotations

from typing import ClassVar

from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.model import Found, Skip

__all__ = ["Resolver"]


class Resolver:
    """One credential source. ``resolve`` returns :class:`Found` (the chain stops),
    :class:`Skip` with the reason (the chain goes on), or raises
    :class:`~pytest_bedrock_creds.chain.model.ChainError` (a configuration error stops it).
    """

    name: ClassVar[str] = "Resolver"

    def resolve(self, ctx: Context) -> Found | Skip:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
