"""Scripted faults shared by the credential fakes (IMDS, container credentials).

A fake's model turns an :class:`~pytest_bedrock_creds.servers.base.HttpRequest` into a
:class:`Reply`; :class:`Faults` holds what a test scripted (a status, a delay, a hang, a cut
body, a reset), :func:`apply_faults` turns the faults that match a request and the normal
answer into the reply actually sent, and :func:`to_http_response` puts it on the socket.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse

__all__ = [
    "HANG_SECONDS",
    "Fault",
    "FaultKind",
    "Faults",
    "Reply",
    "apply_faults",
    "served_status",
    "to_http_response",
]

FaultKind = Literal["status", "delay", "hang", "malformed", "reset"]

#: How long a hung request holds its connection; ``stop()`` releases it earlier.
HANG_SECONDS = 600.0

_TEXT = (("Content-Type", "text/plain"),)


@dataclass(frozen=True)
class Reply:
    """What a model decided. ``hang``/``reset`` replace the answer; ``delay`` precedes it."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    hang: bool = False
    reset: bool = False


@dataclass
class Fault:
    kind: FaultKind
    matches: Callable[[HttpRequest], bool]
    target: str
    times: int | None
    status: int = 500
    seconds: float = 0.0

    def describe(self) -> str:
        if self.kind == "status":
            return f"status {self.status} on {self.target}"
        if self.kind == "delay":
            return f"delay {self.seconds}s on {self.target}"
        return f"{self.kind} on {self.target}"


class Faults:
    """Scripted faults, matched in the order added; ``times=None`` means until reset."""

    def __init__(self, classify: Callable[[str, str], str | None], targets: tuple[str, ...]) -> None:
        self._classify = classify
        self._targets = targets
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def add(self, kind: FaultKind, target: str, *, times: int | None, status: int = 500, seconds: float = 0.0) -> None:
        if not isinstance(target, str) or not (target in self._targets or target.startswith("/")):
            raise ValueError(
                f"target must be one of {', '.join(repr(t) for t in self._targets)} "
                f"or a path starting with '/', not {target!r}"
            )
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a positive int or None (every request), not {times!r}")
        if kind == "status" and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
            raise ValueError(f"status must be an HTTP status code (100-599), not {status!r}")
        if kind == "delay" and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < math.inf
        ):
            raise ValueError(f"seconds must be a finite non-negative number, not {seconds!r}")
        classify = self._classify

        def matches(request: HttpRequest) -> bool:
            if target == "any":
                return True
            if target.startswith("/"):
                return request.path.rstrip("/") == target.rstrip("/")
            return classify(request.method, request.path) == target

        with self._lock:
            self._faults.append(Fault(kind, matches, target, times, status, float(seconds)))

    def take(self, request: HttpRequest) -> list[Fault]:
        """Consume and return the faults that apply to ``request``: delays, then at most one other."""
        chosen: list[Fault] = []
        terminal = False
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(request) or (terminal and fault.kind != "delay"):
                    continue
                chosen.append(fault)
                terminal = terminal or fault.kind != "delay"
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
        return chosen


def apply_faults(faults: list[Fault], answer: Callable[[], Reply]) -> tuple[Reply, str | None]:
    """Turn the chosen faults and the normal answer into the reply actually sent."""
    delay = sum(f.seconds for f in faults if f.kind == "delay")
    names = "; ".join(f.describe() for f in faults) or None
    for fault in faults:
        if fault.kind == "status":
            body = json.dumps({"Code": "InjectedFault", "Message": f"injected status {fault.status}"})
            return Reply(fault.status, body.encode(), _TEXT, delay=delay), names
        if fault.kind == "hang":
            return Reply(0, delay=delay, hang=True), names
        if fault.kind == "reset":
            return Reply(0, delay=delay, reset=True), names
    reply = answer()
    if any(f.kind == "malformed" for f in faults) and reply.status == 200:
        reply = replace(reply, body=reply.body[: max(1, len(reply.body) // 2)])
    return replace(reply, delay=delay), names


def served_status(reply: Reply) -> int | None:
    """The status a request record shows: ``None`` when the fake hung or reset instead of answering."""
    return None if reply.hang or reply.reset else reply.status


def to_http_response(reply: Reply) -> HttpResponse:
    """Serve a model reply: after its delay (the server waits it out), answer, hang or reset."""
    return HttpResponse(
        status=reply.status,
        body=reply.body,
        headers=dict(reply.headers),
        hang=HANG_SECONDS if reply.hang else 0.0,
        reset=reply.reset,
        delay=reply.delay,
    )
