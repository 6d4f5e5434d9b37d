"""Unmodified botocore/boto3 against FakeImds: the token flow, every fault, expiry and refresh.

Each test runs in the plugin's hermetic ``aws_env`` (no ``AWS_*`` variable but its own, ``HOME``
and the shared files in a temporary directory), with ``fake_imds`` attached: only
``AWS_EC2_METADATA_SERVICE_ENDPOINT`` points anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from _fake_helpers import SigningRecorder, flow, issued_keys
from freezegun import freeze_time

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.servers.imds import FakeImds

botocore_session = pytest.importorskip("botocore.session")
boto3 = pytest.importorskip("boto3")
from botocore.exceptions import MetadataRetrievalError  # noqa: E402

LIST = "/latest/meta-data/iam/security-credentials/"
ROLE = LIST + "app-role"
TOKEN = "/latest/api/token"


def get_credentials() -> object:
    return botocore_session.Session().get_credentials()


# -- the happy paths ---------------------------------------------------------------------------
def test_v2_required_botocore_uses_the_token_flow(fake_imds: FakeImds) -> None:
    issued = fake_imds.add_role("app-role")
    creds = botocore_session.Session().get_credentials()
    assert creds is not None
    assert creds.method == "iam-role"
    frozen = creds.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == issued_keys(issued)
    assert flow(fake_imds) == [
        ("PUT", TOKEN, 200, "v2"),
        ("GET", LIST, 200, "v2"),
        ("GET", ROLE, 200, "v2"),
    ]
    assert all(r.token_valid for r in fake_imds.requests[1:])
    assert all((r.user_agent or "").startswith("Botocore/") for r in fake_imds.requests)


def test_v1_enabled_botocore_still_prefers_v2(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    assert get_credentials() is not None
    assert [r.version for r in fake_imds.requests] == ["v2", "v2", "v2"]


def test_v1_enabled_and_token_refused_botocore_falls_back_to_v1(fake_imds: FakeImds) -> None:
    issued = fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.fail("token", status=403)
    creds = botocore_session.Session().get_credentials()
    assert creds is not None
    assert creds.access_key == issued.access_key_id
    assert flow(fake_imds) == [("PUT", TOKEN, 403, None), ("GET", LIST, 200, "v1"), ("GET", ROLE, 200, "v1")]
    assert not any(r.token_present for r in fake_imds.requests[1:])


def test_boto3_client_signs_with_the_imds_credentials(fake_imds: FakeImds) -> None:
    issued = fake_imds.add_role("app-role")
    with SigningRecorder(_STS_REPLY.encode(), "text/xml") as sts:
        client = boto3.Session(region_name="us-east-1").client("sts", endpoint_url=sts.url)
        assert client.get_caller_identity()["Account"] == "123456789012"
    ((auth, security_token),) = sts.seen
    assert f"Credential={issued.access_key_id}/" in auth
    assert security_token == issued.session_token


# -- faults: what botocore does with each -----------------------------------------------------------
@pytest.mark.parametrize("status", [401, 403, 404, 405, 429, 500])
def test_token_refused_with_v2_required_botocore_falls_through_to_no_credentials(
    fake_imds: FakeImds, status: int
) -> None:
    """botocore treats any token failure but 400 as "use IMDSv1"; the v1 GET gets 401."""
    fake_imds.add_role("app-role")
    fake_imds.fail("token", status=status)
    assert get_credentials() is None
    assert flow(fake_imds) == [("PUT", TOKEN, status, None), ("GET", LIST, 401, None)]


@pytest.mark.parametrize("status", [401, 404, 405, 429, 500])
def test_token_refused_with_v1_enabled_botocore_gets_v1_credentials(fake_imds: FakeImds, status: int) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.fail("token", status=status)
    assert get_credentials() is not None
    assert [r.version for r in fake_imds.requests] == [None, "v1", "v1"]


def test_token_400_botocore_gives_up_without_falling_back(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.fail("token", status=400)
    assert get_credentials() is None
    assert flow(fake_imds) == [("PUT", TOKEN, 400, None)]


@pytest.mark.parametrize("v1_enabled", [False, True])
def test_hop_limit_hang_botocore_times_out_then_tries_v1(fake_imds: FakeImds, v1_enabled: bool) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = v1_enabled
    fake_imds.hang(target="token")
    creds = get_credentials()
    assert (creds is not None) is v1_enabled
    assert (fake_imds.requests[0].status, fake_imds.requests[0].fault) == (None, "hang on token")
    assert fake_imds.requests[1].status == (200 if v1_enabled else 401)


@pytest.mark.parametrize("v1_enabled", [False, True])
def test_token_connection_reset_botocore_tries_v1(fake_imds: FakeImds, v1_enabled: bool) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = v1_enabled
    fake_imds.reset_connection(target="token")
    assert (get_credentials() is not None) is v1_enabled
    assert fake_imds.requests[1].token_present is False


def test_v1_disabled_in_botocore_raises_out_of_get_credentials(fake_imds: FakeImds, aws_env: AwsEnv) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.fail("token", status=403)
    aws_env.set(AWS_EC2_METADATA_V1_DISABLED="true")
    with pytest.raises(MetadataRetrievalError, match="IMDSv1 has been disabled"):
        get_credentials()
    assert flow(fake_imds) == [("PUT", TOKEN, 403, None)]


@pytest.mark.parametrize(
    ("fault", "last"),
    [
        (lambda f: f.fail("role-list", status=500), ("GET", LIST, 500, None)),
        (lambda f: f.fail("role-list", status=404), ("GET", LIST, 404, None)),
        (lambda f: f.fail("credentials", status=500), ("GET", ROLE, 500, None)),
        (lambda f: f.malformed_json(), ("GET", ROLE, 200, "v2")),
        (lambda f: f.reset_connection(target="credentials"), ("GET", ROLE, None, None)),
        (lambda f: f.hang(target="credentials"), ("GET", ROLE, None, None)),
    ],
    ids=["role-list-500", "role-list-404", "credentials-500", "malformed-json", "reset", "hang"],
)
def test_metadata_faults_botocore_falls_through_to_no_credentials(
    fake_imds: FakeImds, fault: Callable[[FakeImds], None], last: tuple[str, str, int | None, str | None]
) -> None:
    fake_imds.add_role("app-role")
    fault(fake_imds)
    assert get_credentials() is None
    assert flow(fake_imds)[-1] == last
    assert flow(fake_imds)[0] == ("PUT", TOKEN, 200, "v2")


def test_short_delay_is_ridden_out(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.delay(0.2)
    assert get_credentials() is not None
    assert all(r.fault == "delay 0.2s on any" for r in fake_imds.requests)


def test_unauthorized_role_botocore_returns_no_credentials(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role", unauthorized=True)
    assert get_credentials() is None
    assert flow(fake_imds)[-1] == ("GET", ROLE, 200, "v2")


def test_already_expired_credentials_botocore_extends_them(fake_imds: FakeImds) -> None:
    """Static stability: botocore keeps using expired IMDS credentials, pushing the expiry forward."""
    issued = fake_imds.add_role("app-role", expired=True)
    creds = botocore_session.Session().get_credentials()
    assert creds is not None
    assert creds.get_frozen_credentials().access_key == issued.access_key_id
    assert issued.expiration is not None
    assert creds._expiry_time > issued.expiration  # moved forward by botocore


# -- expiry and refresh on a frozen clock -----------------------------------------------------------
def test_credentials_expire_and_botocore_refreshes_from_the_fake(fake_imds: FakeImds) -> None:
    with freeze_time("2026-11-21T10:00:00Z") as frozen:
        first = fake_imds.add_role("app-role")
        creds = botocore_session.Session().get_credentials()
        assert creds.get_frozen_credentials().access_key == first.access_key_id
        assert len(fake_imds.requests) == 3

        frozen.tick(timedelta(hours=1))  # well inside the lifetime: no refresh
        assert creds.get_frozen_credentials().access_key == first.access_key_id
        assert len(fake_imds.requests) == 3

        frozen.tick(timedelta(hours=4, minutes=55))  # 5 minutes before expiry: mandatory refresh
        refreshed = creds.get_frozen_credentials()
        current = fake_imds.credentials("app-role")
    assert refreshed.access_key == current.access_key_id != first.access_key_id
    assert flow(fake_imds)[3:] == [("PUT", TOKEN, 200, "v2"), ("GET", LIST, 200, "v2"), ("GET", ROLE, 200, "v2")]
    assert fake_imds.ledger.source_of_key(refreshed.access_key) == "imds:app-role"


_STS_REPLY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/app-role/i-0</Arn>"
    "<UserId>AROAEXAMPLE:i-0</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
)


def test_attached_through_aws_env() -> None:
    """The documented seam end to end, without the fixtures: AwsEnv isolates, attach() points botocore at the fake."""
    with FakeImds() as server:
        issued = server.add_role("app-role")
        with AwsEnv(ledger=server.ledger) as env:
            env.attach(server)
            creds = botocore_session.Session().get_credentials()
            assert creds is not None
            assert creds.get_frozen_credentials().access_key == issued.access_key_id
        server.check()
