"""FakeBedrock behaviour: auth verdicts, AWS error forms, strict vs record, tampering, records."""

from __future__ import annotations

import http.client
import json
import ssl
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.servers.base import ServerError
from pytest_bedrock_creds.servers.bedrock import FakeBedrock
from pytest_bedrock_creds.servers.bedrock.ops import route

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
SIG_MESSAGE = "The request signature we calculated does not match the signature you provided."
CORAL = ":http://internal.amazon.com/coral/com.amazon.coral.service/"


def _send(
    fake_bedrock: FakeBedrock,
    path: str,
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
    *,
    sign_with: IssuedCredentials | None = None,
    secret: str | None = None,
    amz_date: str | None = None,
    service: str = "bedrock",
) -> tuple[int, dict[str, str], Any]:
    """POST over the HTTPS listener with http.client, optionally SigV4-signed by botocore."""
    host = fake_bedrock.url.split("://", 1)[1]
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if sign_with is not None:
        request = AWSRequest(method="POST", url=f"{fake_bedrock.url}{path}", data=body, headers=all_headers)
        creds = Credentials(sign_with.access_key_id, secret or sign_with.secret_access_key, sign_with.session_token)
        signer = SigV4Auth(creds, service, "us-east-1")
        if amz_date is not None:
            request.context["timestamp"] = amz_date
            request.headers["X-Amz-Date"] = amz_date
            if creds.token:
                request.headers["X-Amz-Security-Token"] = creds.token
            canonical = signer.canonical_request(request)
            sts = signer.string_to_sign(request, canonical)
            request.headers["Authorization"] = (
                f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
                f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, "
                f"Signature={signer.signature(sts, request)}"
            )
        else:
            signer.add_auth(request)
        all_headers = dict(request.headers.items())
    connection = http.client.HTTPSConnection(host, context=ssl.create_default_context(cafile=fake_bedrock.ca_bundle))
    try:
        connection.request("POST", path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data or b"null")
    finally:
        connection.close()


CONVERSE = "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"


# -- routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "operation", "model_id"),
    [
        ("POST", "/model/a.b-v1%3A0/converse", "Converse", "a.b-v1:0"),
        ("POST", "/model/a.b-v1:0/converse-stream", "ConverseStream", "a.b-v1:0"),
        (
            "POST",
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/invoke",
            "InvokeModel",
            "arn:aws:bedrock:us-east-1:1:inference-profile/x",
        ),
        ("POST", "/model/m/invoke-with-response-stream", "InvokeModelWithResponseStream", "m"),
        ("POST", "/model/m/invoke-with-bidirectional-stream", "InvokeModelWithBidirectionalStream", "m"),
        ("POST", "/model/m/count-tokens", "CountTokens", "m"),
        ("POST", "/guardrail/g/version/1/apply", "ApplyGuardrail", None),
        ("GET", "/async-invoke?maxResults=1", "ListAsyncInvokes", None),
        (
            "GET",
            "/async-invoke/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aasync-invoke%2Fabc",
            "GetAsyncInvoke",
            None,
        ),
        ("POST", "/guardrail-checks/invoke", "InvokeGuardrailChecks", None),
        ("GET", "/inference-profiles/p", "GetInferenceProfile", None),
    ],
)
def test_route_on_raw_path(method: str, path: str, operation: str, model_id: str | None) -> None:
    found = route(method, path)
    assert found is not None
    assert (found.operation, found.model_id) == (operation, model_id)


def test_route_unknown_paths() -> None:
    assert route("POST", "/model/a/b/converse") is None  # an undecoded "/" splits the model id
    assert route("GET", "/model/m/converse") is None
    assert route("POST", "/model/m/unknown-op") is None


# -- auth verdicts in AWS's form ----------------------------------------------------------------------


def test_missing_authorization(fake_bedrock: FakeBedrock) -> None:
    status, headers, body = _send(fake_bedrock, CONVERSE)
    assert status == 403
    assert headers["x-amzn-errortype"] == "AccessDeniedException" + CORAL
    assert body == {"Message": "Authorization header is missing"}
    assert headers["x-amzn-requestid"]
    auth = fake_bedrock.last_request.auth
    assert (auth.scheme, auth.source, auth.error) == ("none", None, "AccessDeniedException")


def test_unknown_access_key(fake_bedrock: FakeBedrock) -> None:
    stranger = IssuedCredentials("AKIAUNKNOWNUNKNOWN00", "x" * 40, None, "env")
    status, headers, body = _send(fake_bedrock, CONVERSE, sign_with=stranger)
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("UnrecognizedClientException:")
    assert body == {"message": "The security token included in the request is invalid."}
    auth = fake_bedrock.last_request.auth
    assert (auth.scheme, auth.source, auth.signature_valid) == ("sigv4", None, None)


def test_bad_signature_carries_the_canonical_request(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("env")
    status, headers, body = _send(fake_bedrock, CONVERSE, sign_with=creds, secret="W" * 40)
    assert status == 403
    assert headers["x-amzn-errortype"] == "InvalidSignatureException" + CORAL
    assert body["message"].startswith(SIG_MESSAGE)
    assert "/model/us.anthropic.claude-3-5-haiku-20241022-v1%253A0/converse" in body["message"]
    assert creds.secret_access_key not in body["message"]
    auth = fake_bedrock.last_request.auth
    assert (auth.source, auth.signature_valid, auth.error) == ("env", False, "InvalidSignatureException")


def test_expired_session_token(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials(
        "imds:app-role", temporary=True, expiration=datetime.now(timezone.utc) - timedelta(minutes=1)
    )
    status, headers, body = _send(fake_bedrock, CONVERSE, sign_with=creds)
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("ExpiredTokenException:")
    assert body == {"message": "The security token included in the request is expired"}
    auth = fake_bedrock.last_request.auth
    assert (auth.source, auth.signature_valid) == ("imds:app-role", True)


def test_wrong_session_token(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("container", temporary=True)
    forged = IssuedCredentials(creds.access_key_id, creds.secret_access_key, "IQoJforged", "container")
    status, headers, _ = _send(fake_bedrock, CONVERSE, sign_with=forged)
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("UnrecognizedClientException:")


def test_old_signature_is_expired(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("env")
    old = (datetime.now(timezone.utc) - timedelta(minutes=30)).strftime("%Y%m%dT%H%M%SZ")
    status, headers, body = _send(fake_bedrock, CONVERSE, sign_with=creds, amz_date=old)
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("InvalidSignatureException:")
    assert body["message"].startswith(f"Signature expired: {old} is now earlier than")
    assert fake_bedrock.last_request.auth.signature_valid is True  # right key, stale date


def test_wrong_signing_service(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    creds = bedrock_ledger.issue_credentials("env")
    status, _, body = _send(fake_bedrock, CONVERSE, sign_with=creds, service="bedrock-runtime")
    assert status == 403
    assert body == {"message": "Credential should be scoped to correct service: 'bedrock'. "}
    assert fake_bedrock.last_request.auth.service == "bedrock-runtime"


def test_malformed_authorization(fake_bedrock: FakeBedrock) -> None:
    status, headers, body = _send(fake_bedrock, CONVERSE, headers={"Authorization": "AWS4-HMAC-SHA256 Signature=abc"})
    assert status == 400
    assert headers["x-amzn-errortype"].startswith("IncompleteSignatureException:")
    assert "'Credential' parameter" in body["message"]


def test_bidirectional_stream_rejects_bearer_accepts_sigv4(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    token = bedrock_ledger.issue_token("bearer:env").token
    path = "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream"
    status, headers, body = _send(fake_bedrock, path, headers={"Authorization": f"Bearer {token}"})
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("AccessDeniedException:")
    assert "InvokeModelWithBidirectionalStream" in body["Message"]
    assert fake_bedrock.last_request.auth.source == "bearer:env"
    status, headers, _ = _send(fake_bedrock, path, sign_with=bedrock_ledger.issue_credentials("env"))
    assert status == 200
    assert headers["content-type"] == "application/vnd.amazon.eventstream"


def test_unknown_operation_is_404(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    status, headers, _ = _send(fake_bedrock, "/model/m/nope", sign_with=bedrock_ledger.issue_credentials("env"))
    assert status == 404
    assert headers["x-amzn-errortype"].startswith("UnknownOperationException:")
    assert fake_bedrock.last_request.operation is None


# -- record mode -----------------------------------------------------------------------------------------


def test_record_mode_answers_but_records_the_verdict(fake_bedrock: FakeBedrock, bedrock_ledger: Ledger) -> None:
    fake_bedrock.verify = "record"
    creds = bedrock_ledger.issue_credentials("env")
    status, _, body = _send(fake_bedrock, CONVERSE, sign_with=creds, secret="W" * 40)
    assert status == 200
    assert body["stopReason"] == "end_turn"
    auth = fake_bedrock.last_request.auth
    assert (auth.signature_valid, auth.error, auth.accepted) == (False, "InvalidSignatureException", False)
    status, _, _ = _send(fake_bedrock, CONVERSE)
    assert status == 200
    assert fake_bedrock.last_request.auth.scheme == "none"


def test_verify_must_be_known() -> None:
    with pytest.raises(ValueError, match="strict"):
        FakeBedrock(verify="lenient")  # type: ignore[arg-type]


# -- tampering after signing, with a real client ------------------------------------------------------------


@pytest.mark.parametrize("what", ["body", "signed header", "path"])
def test_request_changed_after_signing_is_rejected(fake_bedrock: FakeBedrock, aws_env: AwsEnv, what: str) -> None:
    aws_env.static_keys()
    client = boto3.client("bedrock-runtime", config=Config(retries={"total_max_attempts": 1}))

    def tamper(request: Any, **_: Any) -> None:
        if what == "body":
            request.body = request.body.replace(b"Hello", b"Jello")
        elif what == "signed header":
            request.headers["Content-Type"] = "application/x-amz-json-1.1"
        else:
            request.url = request.url.replace("/converse", "/converse-stream").replace("converse-stream-stream", "x")

    client.meta.events.register("before-send.bedrock-runtime.Converse", tamper)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.converse(modelId=MODEL, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert info.value.response["Error"]["Message"].startswith(SIG_MESSAGE)
    auth = fake_bedrock.last_request.auth
    assert (auth.source, auth.signature_valid) == ("env", False)


def test_untampered_control_request_verifies(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


# -- records, assertions, lifecycle ----------------------------------------------------------------------------


def test_reprs_never_show_secrets(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    creds = aws_env.static_keys(session_token=True)
    boto3.client("bedrock-runtime", config=Config(signature_version="v4")).converse(modelId=MODEL, messages=MESSAGES)
    token = aws_env.bearer_token()
    boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    text = repr(fake_bedrock.requests) + str(fake_bedrock.requests) + repr(fake_bedrock)
    for secret in (creds.secret_access_key, creds.session_token or "", token):
        assert secret not in text
    assert token not in repr(fake_bedrock.last_request.auth)
    assert all(token not in v for _, v in fake_bedrock.last_request.redacted_headers())


def test_assert_auth_explains_the_mismatch(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    with pytest.raises(AssertionError) as info:
        fake_bedrock.assert_auth(scheme="bearer", source="imds:app-role")
    message = str(info.value)
    assert "scheme is 'sigv4', expected 'bearer'" in message
    assert "source is 'env', expected 'imds:app-role'" in message
    assert "the ledger issued" in message
    assert "to: env" in message


def test_assert_auth_names_a_key_from_outside_the_sandbox(fake_bedrock: FakeBedrock) -> None:
    stranger = IssuedCredentials("AKIAOUTSIDE000000000", "y" * 40, None, "env")
    _send(fake_bedrock, CONVERSE, sign_with=stranger)
    with pytest.raises(AssertionError, match="never issued 'AKIAOUTSIDE000000000'"):
        fake_bedrock.assert_auth(source="env")


def test_assert_auth_with_no_requests(fake_bedrock: FakeBedrock) -> None:
    with pytest.raises(AssertionError, match="received no Converse request"):
        fake_bedrock.assert_auth(scheme="sigv4", operation="Converse")


def test_assert_auth_every(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    client = boto3.client("bedrock-runtime")
    client.converse(modelId=MODEL, messages=MESSAGES)
    _send(fake_bedrock, CONVERSE)
    fake_bedrock.assert_auth(scheme="none")
    with pytest.raises(AssertionError, match="scheme is 'none'"):
        fake_bedrock.assert_auth(scheme="sigv4", every=True)


def test_reset_forgets_requests_replies_and_failures(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("Converse", text="programmed")
    fake_bedrock.fail("Converse", "ThrottlingException", times=None)
    _send(fake_bedrock, CONVERSE)
    fake_bedrock.reset()
    assert fake_bedrock.requests == ()
    reply = boto3.client("bedrock-runtime").converse(modelId=MODEL, messages=MESSAGES)
    assert reply["output"]["message"]["content"][0]["text"] == "Hello from FakeBedrock."


def test_bad_programmed_stream_surfaces_in_check(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    aws_env.static_keys()
    fake_bedrock.respond("ConverseStream", stream=[{"a": 1, "b": 2}])
    with pytest.raises(botocore.exceptions.ClientError):
        boto3.client("bedrock-runtime", config=Config(retries={"total_max_attempts": 1})).converse_stream(
            modelId=MODEL, messages=MESSAGES
        )
    with pytest.raises(ServerError, match="one-key dicts"):
        fake_bedrock.check()


def test_respond_and_fail_validate_arguments(fake_bedrock: FakeBedrock) -> None:
    with pytest.raises(ValueError, match="unknown Bedrock Runtime operation"):
        fake_bedrock.respond("Convers", text="x")
    with pytest.raises(ValueError, match="one of"):
        fake_bedrock.respond("Converse", text="x", body={})
    with pytest.raises(ValueError, match="stream="):
        fake_bedrock.respond("Converse", stream=[])
    with pytest.raises(ValueError, match="in_stream"):
        fake_bedrock.fail("Converse", "ThrottlingException", in_stream=True)


def test_env_and_addresses(fake_bedrock: FakeBedrock) -> None:
    assert fake_bedrock.url.startswith("https://127.0.0.1:")
    assert fake_bedrock.http_url.startswith("http://127.0.0.1:")
    assert fake_bedrock.url != fake_bedrock.http_url.replace("http://", "https://")
    assert fake_bedrock.env() == {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.url,
        "AWS_CA_BUNDLE": fake_bedrock.ca_bundle,
    }
    with open(fake_bedrock.ca_bundle) as pem:
        assert pem.read().startswith("-----BEGIN CERTIFICATE-----")


def test_not_running_is_explained() -> None:
    fake_bedrock = FakeBedrock()
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake_bedrock.url
    fake_bedrock.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            fake_bedrock.start()
    finally:
        fake_bedrock.stop()
    assert not fake_bedrock.running
