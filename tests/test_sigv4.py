"""The SigV4 verifier against requests signed by botocore itself."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pytest_bedrock_creds.servers.base import HttpRequest
from pytest_bedrock_creds.servers.sigv4 import (
    SHORT_TERM_PREFIX,
    IncompleteSignature,
    ShortTermKey,
    SigV4Authorization,
    check_date,
    compute_signature,
    make_short_term_key,
    verify_signature,
)

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HOST = "127.0.0.1:50123"


def _signed(path: str, body: bytes = b'{"a":1}', *, headers: dict[str, str] | None = None) -> HttpRequest:
    request = AWSRequest(method="POST", url=f"https://{HOST}{path}", data=body, headers=headers or {})
    request.headers["Content-Type"] = "application/json"
    SigV4Auth(Credentials("AKIDEXAMPLE", SECRET, "session-token"), "bedrock", "us-west-2").add_auth(request)
    return HttpRequest(
        method="POST",
        raw_path=path,
        headers=(("Host", HOST), *request.headers.items(), ("User-Agent", "unsigned/1.0")),
        body=body,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",  # boto3 style
        "/model/us.anthropic.claude-3-5-haiku-20241022-v1:0/invoke",  # anthropic style
        "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fx/invoke",
        "/async-invoke?statusEquals=InProgress&maxResults=10&submitTimeAfter=2026-01-01T00%3A00%3A00Z",
    ],
)
def test_botocore_signed_requests_verify(path: str) -> None:
    request = _signed(path)
    result = verify_signature(request, SECRET)
    assert result.valid, result.canonical_request
    assert SECRET not in result.canonical_request + result.string_to_sign


def test_canonical_uri_is_the_raw_path_encoded_again() -> None:
    result = verify_signature(_signed("/model/m-v1%3A0/converse"), SECRET)
    assert result.canonical_request.splitlines()[1] == "/model/m-v1%253A0/converse"
    result = verify_signature(_signed("/model/m-v1:0/converse"), SECRET)
    assert result.canonical_request.splitlines()[1] == "/model/m-v1%3A0/converse"


def test_wrong_secret_fails() -> None:
    assert not verify_signature(_signed("/model/m/converse"), SECRET[:-1] + "X").valid


def test_changed_body_fails() -> None:
    request = _signed("/model/m/converse")
    tampered = HttpRequest(request.method, request.raw_path, request.headers, b'{"a":2}')
    assert not verify_signature(tampered, SECRET).valid


def test_changed_signed_header_fails_but_unsigned_header_does_not() -> None:
    request = _signed("/model/m/converse")
    swapped = tuple((k, "text/plain" if k.lower() == "content-type" else v) for k, v in request.headers)
    assert not verify_signature(HttpRequest("POST", request.raw_path, swapped, request.body), SECRET).valid
    agent = tuple((k, "other/2.0" if k == "User-Agent" else v) for k, v in request.headers)
    assert verify_signature(HttpRequest("POST", request.raw_path, agent, request.body), SECRET).valid


def test_changed_path_fails() -> None:
    request = _signed("/model/m-v1%3A0/converse")
    moved = HttpRequest("POST", "/model/m-v1:0/converse", request.headers, request.body)
    assert not verify_signature(moved, SECRET).valid


def test_parse_authorization() -> None:
    auth = SigV4Authorization.parse(
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=ABCDEF"
    )
    assert (auth.access_key_id, auth.date, auth.region, auth.service) == (
        "AKID",
        "20260101",
        "us-east-1",
        "bedrock",
    )
    assert auth.signed_headers == ("content-type", "host", "x-amz-date")
    assert auth.signature == "abcdef"


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=ab", "'Credential' parameter"),
        ("AWS4-HMAC-SHA256 Credential=A/2/r/s/aws4_request, SignedHeaders=host", "'Signature' parameter"),
        ("AWS4-HMAC-SHA256 Credential=A/2/r/s/wrong, SignedHeaders=host, Signature=ab", "aws4_request"),
        ("Basic dXNlcjpwYXNz", "Unsupported Authorization Type"),
    ],
)
def test_parse_rejects_incomplete_headers(value: str, needle: str) -> None:
    with pytest.raises(IncompleteSignature, match=needle):
        SigV4Authorization.parse(value)


def test_compute_signature_with_parsed_header() -> None:
    request = _signed("/model/m/converse")
    parsed = SigV4Authorization.parse(request.header("Authorization") or "")
    assert compute_signature(request, parsed, SECRET).expected_signature == parsed.signature


def test_check_date() -> None:
    now = datetime(2026, 1, 1, 0, 10, tzinfo=timezone.utc)
    assert check_date("20260101T000800Z", "20260101", now) is None
    expired = check_date("20260101T000000Z", "20260101", now)
    assert expired == (
        "InvalidSignatureException",
        "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)",
    )
    future = check_date((now + timedelta(minutes=6)).strftime("%Y%m%dT%H%M%SZ"), "20260101", now)
    assert future is not None
    assert future[1].startswith("Signature not yet current")
    mismatch = check_date("20260101T000800Z", "20251231", now)
    assert mismatch is not None
    assert mismatch[1].startswith("Date in Credential scope does not match")
    missing = check_date(None, "20260101", now)
    assert missing is not None
    assert missing[0] == "IncompleteSignatureException"


def test_short_term_key_round_trip() -> None:
    token = make_short_term_key("ASIAEXAMPLEEXAMPLE00", SECRET, "IQoJ/token+=", region="eu-west-1", expires=900)
    assert token.startswith(SHORT_TERM_PREFIX + "YmVkcm9jay5hbWF6b25hd3MuY29t")
    key = ShortTermKey.decode(token)
    assert key is not None
    assert (key.access_key_id, key.region, key.service, key.expires) == (
        "ASIAEXAMPLEEXAMPLE00",
        "eu-west-1",
        "bedrock",
        900,
    )
    assert key.session_token == "IQoJ/token+="
    assert key.verify(SECRET)
    assert not key.verify(SECRET[:-1] + "X")
    assert SECRET not in repr(key)
    assert "IQoJ" not in repr(key)


@pytest.mark.parametrize("token", ["ABSKxyz", SHORT_TERM_PREFIX + "!!!", SHORT_TERM_PREFIX + "Zm9v"])
def test_short_term_key_decode_rejects_other_tokens(token: str) -> None:
    assert ShortTermKey.decode(token) is None


_NOT_BASIC = ["2026011T000800Z", "20260101T00080Z", "20261301T000800Z", "20260101T000800", "20260101 000800Z",
              "2026-01-01T00:08:00Z", "\uff12\uff10\uff12\uff16" + "0101T000800Z"]


@pytest.mark.parametrize("amz_date", _NOT_BASIC)
def test_an_x_amz_date_not_in_the_basic_format_is_refused(amz_date: str) -> None:
    """Exactly YYYYMMDDTHHMMSSZ in ASCII digits: strptime's one-digit fields and Unicode digits are not it."""
    now = datetime(2026, 1, 1, 0, 10, tzinfo=timezone.utc)
    refused = check_date(amz_date, "20260101", now)
    assert refused == ("IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.")


@pytest.mark.parametrize("amz_date", _NOT_BASIC)
def test_a_short_term_key_with_a_date_not_in_the_basic_format_is_not_a_key(amz_date: str) -> None:
    """Its X-Amz-Date is read by the same parser as a signed request's: a bad one is refused at decode
    (it used to pass decode and fail inside the fake when the key's expiry was worked out)."""
    import base64
    from urllib.parse import quote

    token = make_short_term_key("ASIAEXAMPLEEXAMPLE00", SECRET, "IQoJ/token+=", region="eu-west-1", expires=900)
    key = ShortTermKey.decode(token)
    assert key is not None and key.expires_at == datetime.strptime(key.amz_date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=timezone.utc) + timedelta(seconds=900)
    url = base64.b64decode(token[len(SHORT_TERM_PREFIX):]).decode()
    bad = url.replace(f"X-Amz-Date={key.amz_date}", f"X-Amz-Date={quote(amz_date)}")
    assert bad != url
    assert ShortTermKey.decode(SHORT_TERM_PREFIX + base64.b64encode(bad.encode()).decode()) is None
