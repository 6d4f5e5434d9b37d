"""The transport faults every credential fake offers, as one mixin over its :class:`Faults`.

A fake sets ``self.faults`` (a :class:`~pytest_bedrock_creds.servers.faults.Faults` with its
own targets) and gets ``delay``, ``hang`` and ``reset_connection``; what an answer looks like
when cut or refused stays with each fake (its wire format differs).
"""

from __future__ import annotations

from pytest_bedrock_creds.servers.faults import Faults

__all__ = ["TransportFaults"]


class TransportFaults:
    faults: Faults

    def delay(self, seconds: float, *, target: str = "any", times: int | None = None) -> None:
        """Wait ``seconds`` (real time) before answering calls on ``target``."""
        self.faults.add("delay", target, seconds=seconds, times=times)

    def hang(self, *, target: str = "any", times: int | None = None) -> None:
        """Never answer calls on ``target`` (until ``stop()``)."""
        self.faults.add("hang", target, times=times)

    def reset_connection(self, *, target: str = "any", times: int | None = None) -> None:
        """Close the connection with a TCP reset instead of answering."""
        self.faults.add("reset", target, times=times)
