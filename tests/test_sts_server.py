"""FakeSts against unmodified botocore STS clients: signatures verified against the ledger, AWS's
error shapes, web identity tokens the ledger issued, roles' demands, faults, records without secrets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from botocore.parsers import ResponseParserError

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.servers.sts import FakeSts

_NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=1, connect_timeout=1)


def _sts(creds: IssuedCredentials | None = None, *, secret: str | None = None) -> object:
    """An STS client signing with ``creds`` (``secret`` overrides the secret), or unsigned."""
    if creds is None:
        from botocore import UNSIGNED

        unsigned = Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1})
        return boto3.Session().client("sts", config=unsigned)
    return boto3.Session().client(
        "sts",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=secret or creds.secret_access_key,
        aws_session_token=creds.session_token,
        config=_NO_RETRY,
    )


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_assume_role_issues_ledger_credentials_with_the_caller_as_issuer(
    fake_sts: FakeSts, bedrock_ledger: Ledger
) -> None:
    caller = bedrock_ledger.issue_credentials("shared-credentials-file:base")
    reply = _sts(caller).assume_role(  # type: ignore[attr-defined]
        RoleArn=fake_sts.role_arn("bedrock-invoker"), RoleSessionName="ci-run", DurationSeconds=900
    )
    creds = reply["Credentials"]
    issued = bedrock_ledger.credentials_for(creds["AccessKeyId"])
    assert len(issued) == 1
    assert issued[0].source == "assume-role:bedrock-invoker"
    assert issued[0].lineage == ("assume-role:bedrock-invoker", "shared-credentials-file:base")
    assert issued[0].issuer == caller
    assert (creds["SecretAccessKey"], creds["SessionToken"]) == (issued[0].secret_access_key, issued[0].session_token)
    assert creds["Expiration"] == issued[0].expiration
    assert 890 <= (creds["Expiration"] - datetime.now(timezone.utc)).total_seconds() <= 900
    assert reply["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/bedrock-invoker/ci-run"
    call = fake_sts.assert_auth(source="shared-credentials-file:base", via=(), signature_valid=True)
    assert (call.role_session_name, call.duration_seconds, call.issued_access_key_id) == (
        "ci-run", 900, creds["AccessKeyId"])
    assert call.auth.service == "sts"
    assert fake_sts.issued == issued


def test_get_caller_identity_names_the_assumed_role(fake_sts: FakeSts, bedrock_ledger: Ledger) -> None:
    caller = bedrock_ledger.issue_credentials("env")
    assert _sts(caller).get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/env"  # type: ignore[attr-defined]
    creds = _sts(caller).assume_role(  # type: ignore[attr-defined]
        RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")["Credentials"]
    assumed = bedrock_ledger.credentials_for(creds["AccessKeyId"])[0]
    identity = _sts(assumed).get_caller_identity()  # type: ignore[attr-defined]
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/r/s1"
    assert identity["Account"] == "123456789012"
    fake_sts.assert_auth(action="GetCallerIdentity", source="assume-role:r", via="env", signature_valid=True)


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("wrong-secret", "SignatureDoesNotMatch", 403),
        ("unknown-key", "InvalidClientTokenId", 403),
        ("expired", "ExpiredToken", 400),
        ("unsigned", "MissingAuthenticationToken", 403),
    ],
)
def test_bad_callers_get_stss_errors_and_nothing_is_issued(
    fake_sts: FakeSts, bedrock_ledger: Ledger, case: str, code: str, status: int
) -> None:
    if case == "expired":
        caller = bedrock_ledger.issue_credentials(
            "imds:old", temporary=True, expiration=datetime.now(timezone.utc) - timedelta(minutes=1))
    else:
        caller = bedrock_ledger.issue_credentials("env")
    client = {
        "wrong-secret": lambda: _sts(caller, secret="x" * 40),
        "unknown-key": lambda: _sts(IssuedCredentials("AKIAUNKNOWNUNKNOWN12", "s" * 40, None, "env")),
        "expired": lambda: _sts(caller),
        "unsigned": lambda: _sts(None),
    }[case]()
    with pytest.raises(ClientError) as exc:
        client.assume_role(RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")  # type: ignore[attr-defined]
    assert _code(exc) == (code, status)
    assert fake_sts.issued == ()
    assert fake_sts.requests[-1].error_code == code


def test_role_demands_external_id_mfa_and_duration(fake_sts: FakeSts, bedrock_ledger: Ledger) -> None:
    arn = fake_sts.add_role("guarded", external_id="ext-1", mfa_serial="arn:aws:iam::123456789012:mfa/dev",
                            max_session_duration=7200)
    client = _sts(bedrock_ledger.issue_credentials("env"))
    base = {"RoleArn": arn, "RoleSessionName": "s1"}
    mfa = {"SerialNumber": "arn:aws:iam::123456789012:mfa/dev", "TokenCode": "123456"}
    for extra in ({}, {"ExternalId": "ext-1"}, {"ExternalId": "ext-2", **mfa}):
        with pytest.raises(ClientError) as exc:
            client.assume_role(**base, **extra)  # type: ignore[attr-defined]
        assert _code(exc) == ("AccessDenied", 403)
    good = {"ExternalId": "ext-1", "SerialNumber": "arn:aws:iam::123456789012:mfa/dev", "TokenCode": "123456"}
    assert client.assume_role(**base, **good, DurationSeconds=7200)["Credentials"]  # type: ignore[attr-defined]
    with pytest.raises(ClientError, match="exceeds the MaxSessionDuration") as exc:
        client.assume_role(**base, **good, DurationSeconds=7201)  # type: ignore[attr-defined]
    assert _code(exc) == ("ValidationError", 400)
    assert [r.external_id for r in fake_sts.requests[:2]] == [None, "ext-1"]
    assert fake_sts.requests[3].token_code_sent


def test_other_account_denied_role_and_bad_session_name(fake_sts: FakeSts, bedrock_ledger: Ledger) -> None:
    client = _sts(bedrock_ledger.issue_credentials("env"))
    fake_sts.add_role("off-limits", allow=False)
    for arn in ("arn:aws:iam::999999999999:role/r", fake_sts.role_arn("off-limits")):
        with pytest.raises(ClientError, match="is not authorized to perform: sts:AssumeRole") as exc:
            client.assume_role(RoleArn=arn, RoleSessionName="s1")  # type: ignore[attr-defined]
        assert _code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError, match="regular expression pattern") as exc:
        client.assume_role(RoleArn=fake_sts.role_arn("r"), RoleSessionName="bad name!")  # type: ignore[attr-defined]
    assert _code(exc) == ("ValidationError", 400)


def test_web_identity_accepts_only_tokens_the_ledger_issued_for_the_role(
    fake_sts: FakeSts, aws_env: AwsEnv, bedrock_ledger: Ledger
) -> None:
    arn = fake_sts.role_arn("irsa")
    token = aws_env.web_identity(arn).token
    client = _sts(None)
    reply = client.assume_role_with_web_identity(  # type: ignore[attr-defined]
        RoleArn=arn, RoleSessionName="pod", WebIdentityToken=token)
    issued = bedrock_ledger.credentials_for(reply["Credentials"]["AccessKeyId"])[0]
    assert (issued.source, issued.lineage) == ("web-identity:irsa", ("web-identity:irsa",))
    assert issued.issuer is not None and issued.issuer.source == "web-identity:irsa"
    assert reply["SubjectFromWebIdentityToken"]
    bearer = bedrock_ledger.issue_token("bearer:env").token
    expired = aws_env.web_identity(arn, expired=True).token
    cases = [
        ("eyJhbGciOiJub25lIn0.e30.c2ln", arn, "InvalidIdentityToken", "unknown"),
        (bearer, arn, "InvalidIdentityToken", "not-a-jwt"),
        (expired, arn, "ExpiredTokenException", "expired"),
        (token, fake_sts.role_arn("other"), "AccessDenied", "other-role"),
    ]
    for value, role, code, check in cases:
        with pytest.raises(ClientError) as exc:
            client.assume_role_with_web_identity(  # type: ignore[attr-defined]
                RoleArn=role, RoleSessionName="pod", WebIdentityToken=value)
        assert _code(exc)[0] == code
        assert fake_sts.requests[-1].web_identity_token == check
    assert len(fake_sts.issued) == 1


def test_injected_errors_and_faults(fake_sts: FakeSts, bedrock_ledger: Ledger) -> None:
    client = _sts(bedrock_ledger.issue_credentials("env"))
    fake_sts.fail("AssumeRole", "RegionDisabledException", times=1)
    with pytest.raises(ClientError) as exc:
        client.assume_role(RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")  # type: ignore[attr-defined]
    assert _code(exc) == ("RegionDisabledException", 403)
    assert client.assume_role(RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")  # type: ignore[attr-defined]
    fake_sts.fail_status("GetCallerIdentity", status=503, times=1)
    with pytest.raises(ResponseParserError, match="injected status 503"):  # the shared faults' body is not XML
        client.get_caller_identity()  # type: ignore[attr-defined]
    assert fake_sts.requests[-1].fault == "status 503 on GetCallerIdentity"
    fake_sts.hang(times=1)
    with pytest.raises(ReadTimeoutError):
        client.get_caller_identity()  # type: ignore[attr-defined]
    fake_sts.reset_connection(times=1)
    with pytest.raises((EndpointConnectionError, ConnectionClosedError)):
        client.get_caller_identity()  # type: ignore[attr-defined]
    fake_sts.malformed_xml(target="AssumeRole", times=1)
    with pytest.raises(ResponseParserError, match="invalid XML received"):
        client.assume_role(RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")  # type: ignore[attr-defined]
    assert client.get_caller_identity()["Account"] == "123456789012"  # type: ignore[attr-defined]
    fake_sts.check()


def test_bad_fault_arguments_are_refused(fake_sts: FakeSts) -> None:
    with pytest.raises(ValueError, match="action must be one of"):
        fake_sts.fail("Assume", "AccessDenied")
    with pytest.raises(ValueError, match="times must be"):
        fake_sts.fail("AssumeRole", "AccessDenied", times=0)
    with pytest.raises(ValueError, match="target must be one of"):
        fake_sts.delay(1, target="nowhere")
    with pytest.raises(ValueError, match="max_session_duration"):
        fake_sts.add_role("r", max_session_duration=60)


def test_records_and_reprs_hold_no_secret(fake_sts: FakeSts, aws_env: AwsEnv, bedrock_ledger: Ledger) -> None:
    caller = bedrock_ledger.issue_credentials("env", temporary=True)
    _sts(caller).assume_role(RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")  # type: ignore[attr-defined]
    token = aws_env.web_identity(fake_sts.role_arn("r")).token
    _sts(None).assume_role_with_web_identity(  # type: ignore[attr-defined]
        RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1", WebIdentityToken=token)
    text = repr(fake_sts) + repr(fake_sts.requests) + repr(fake_sts.issued)
    for secret in bedrock_ledger.secrets():
        assert secret not in text
    assert "via=('env',)" in repr(fake_sts.issued[0])


def test_reset_forgets_roles_records_and_issues(fake_sts: FakeSts, bedrock_ledger: Ledger) -> None:
    fake_sts.add_role("r", allow=False)
    with pytest.raises(ClientError):
        _sts(bedrock_ledger.issue_credentials("env")).assume_role(  # type: ignore[attr-defined]
            RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")
    fake_sts.reset()
    assert fake_sts.requests == () and fake_sts.issued == ()
    assert _sts(bedrock_ledger.issue_credentials("env")).assume_role(  # type: ignore[attr-defined]
        RoleArn=fake_sts.role_arn("r"), RoleSessionName="s1")


def test_without_pytest_fixtures() -> None:
    ledger = Ledger()
    with FakeSts(ledger=ledger) as sts, AwsEnv(ledger=ledger) as env:
        env.attach(sts)
        assert sts.env() == {"AWS_ENDPOINT_URL_STS": sts.url}
        assert sts.url.startswith("http://127.0.0.1:")
        caller = env.static_keys()
        assert boto3.Session().client("sts").get_caller_identity()["Arn"].endswith(":user/env")
        sts.assert_auth(action="GetCallerIdentity", source="env", signature_valid=True)
        assert sts.requests[0].auth.access_key_id == caller.access_key_id
    assert not sts.running
    with pytest.raises(AssertionError, match="received no AssumeRole call"):
        sts.assert_auth()
