"""The suite's guard really blocks the real metadata services and AWS endpoints."""

from __future__ import annotations

import socket

import pytest

from pytest_bedrock_creds.guard import BLOCKED, RealNetworkAccess, installed


def test_the_suite_runs_with_the_guard_installed() -> None:
    assert installed()


@pytest.mark.parametrize(
    "address", [("169.254.169.254", 80), ("169.254.170.2", 80), ("10.1.2.3", 443)]
)
def test_connect_outside_loopback_is_blocked(address: tuple[str, int]) -> None:
    before = len(BLOCKED)
    sock = socket.socket()
    try:
        with pytest.raises(RealNetworkAccess):
            sock.connect(address)
    finally:
        sock.close()
        del BLOCKED[before:]  # deliberate attempts do not fail the session


def test_resolving_amazonaws_is_blocked() -> None:
    before = len(BLOCKED)
    try:
        with pytest.raises(RealNetworkAccess):
            socket.getaddrinfo("bedrock-runtime.us-east-1.amazonaws.com", 443)
    finally:
        del BLOCKED[before:]


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()
