"""ImdsModel on its own: no sockets, no threads, one request in, one reply out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pytest_bedrock_creds.servers.base import HttpRequest
from pytest_bedrock_creds.servers.imds.model import ImdsModel, format_timestamp

TTL = "X-aws-ec2-metadata-token-ttl-seconds"


def put_token(model: ImdsModel, ttl: str) -> tuple[int, str]:
    reply = model.handle(HttpRequest("PUT", "/latest/api/token", ((TTL, ttl),), b""))
    return reply.status, reply.body.decode()


def test_format_timestamp_is_seconds_and_z() -> None:
    moment = datetime(2026, 11, 21, 10, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(moment) == "2026-11-21T08:00:00Z"


def test_a_model_works_without_any_server() -> None:
    model = ImdsModel()
    issued = model.add_role("app-role")
    status, token = put_token(model, "60")
    assert status == 200
    reply = model.handle(
        HttpRequest(
            "GET", "/latest/meta-data/iam/security-credentials/app-role", (("X-aws-ec2-metadata-token", token),), b""
        )
    )
    assert reply.status == 200
    assert issued.access_key_id.encode() in reply.body
    assert ("Server", "EC2ws") in reply.headers


def test_tokens_from_one_model_are_unknown_to_another() -> None:
    first, second = ImdsModel(), ImdsModel()
    second.add_role("app-role")
    _, token = put_token(first, "60")
    reply = second.handle(
        HttpRequest("GET", "/latest/meta-data/iam/security-credentials", (("X-aws-ec2-metadata-token", token),), b"")
    )
    assert reply.status == 401


def test_fault_times_count_down_per_matching_request() -> None:
    model = ImdsModel()
    model.faults.add("status", "token", times=2, status=503)
    assert [put_token(model, "60")[0] for _ in range(3)] == [503, 503, 200]


def test_delay_combines_with_a_terminal_fault() -> None:
    model = ImdsModel()
    model.faults.add("delay", "any", times=None, seconds=0.5)
    model.faults.add("status", "token", times=1, status=500)
    reply = model.handle(HttpRequest("PUT", "/latest/api/token", ((TTL, "60"),), b""))
    assert (reply.status, reply.delay) == (500, 0.5)
    assert model.requests[0].fault == "delay 0.5s on any; status 500 on token"


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.integers(min_value=-100_000, max_value=100_000))
def test_token_ttl_is_accepted_exactly_from_1_to_21600(ttl: int) -> None:
    model = ImdsModel()
    status, _ = put_token(model, str(ttl))
    assert status == (200 if 1 <= ttl <= 21600 else 400)


@given(st.text(max_size=12))
def test_only_plain_ascii_digits_are_a_ttl(raw: str) -> None:
    status, _ = put_token(ImdsModel(), raw)
    digits = raw.strip()
    valid = digits.isascii() and digits.isdigit() and 1 <= int(digits) <= 21600
    assert status == (200 if valid else 400)


def test_signed_and_unicode_ttls_are_400() -> None:
    assert [put_token(ImdsModel(), raw)[0] for raw in ("+60", "-0", "\u0663", "6 0", "60")] == [400, 400, 400, 400, 200]
