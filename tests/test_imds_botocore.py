"""Unmodified botocore/boto3 against FakeImds: the token flow, every fault, expiry and refresh.

Each test runs in a hermetic environment (every ``AWS_*`` variable and proxy variable
removed, ``HOME`` and the shared files in ``tmp_path``), with only
``AWS_EC2_METADATA_SERVICE_ENDPOINT`` pointing at the fake.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time

from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer
from pytest_bedrock_creds.servers.imds import FakeImds

botocore_session = pytest.importorskip("botocore.session")
boto3 = pytest.importorskip("boto3")
from botocore.exceptions import MetadataRetrievalError  # noqa: E402

LIST = "/latest/meta-data/iam/security-credentials/"
ROLE = LIST + "app-role"
TOKEN = "/latest/api/token"


@pytest.fixture(scope="module")
def imds_server() -> Iterator[FakeImds]:
    with FakeImds() as fake:
        yield fake


@pytest.fixture
def imds(imds_server: FakeImds, monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> Iterator[FakeImds]:
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", os.path.join(tmp_path, "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.path.join(tmp_path, "no-credentials"))
    for name, value in imds_server.env().items():
        monkeypatch.setenv(name, value)
    imds_server.reset()
    yield imds_server
    imds_server.check()


def flow(fake: FakeImds) -> list[tuple[str, str, int | None, str | None]]:
    return [(r.method, r.path, r.status, r.version) for r in fake.requests]


def get_credentials() -> object:
    return botocore_session.Session().get_credentials()


# -- the happy paths ---------------------------------------------------------------------------
def test_v2_required_botocore_uses_the_token_flow(imds: FakeImds) -> None:
    issued = imds.add_role("app-role")
    creds = botocore_session.Session().get_credentials()
    assert creds is not None
    assert creds.method == "iam-role"
    frozen = creds.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        issued.access_key_id,
        issued.secret_access_key,
        issued.session_token,
    )
    assert flow(imds) == [
        ("PUT", TOKEN, 200, "v2"),
        ("GET", LIST, 200, "v2"),
        ("GET", ROLE, 200, "v2"),
    ]
    assert all(r.token_valid for r in imds.requests[1:])
    assert all((r.user_agent or "").startswith("Botocore/") for r in imds.requests)


def test_v1_enabled_botocore_still_prefers_v2(imds: FakeImds) -> None:
    imds.add_role("app-role")
    imds.v1_enabled = True
    assert get_credentials() is not None
    assert [r.version for r in imds.requests] == ["v2", "v2", "v2"]


def test_v1_enabled_and_token_refused_botocore_falls_back_to_v1(imds: FakeImds) -> None:
    issued = imds.add_role("app-role")
    imds.v1_enabled = True
    imds.fail("token", status=403)
    creds = botocore_session.Session().get_credentials()
    assert creds is not None
    assert creds.access_key == issued.access_key_id
    assert flow(imds) == [("PUT", TOKEN, 403, None), ("GET", LIST, 200, "v1"), ("GET", ROLE, 200, "v1")]
    assert not any(r.token_present for r in imds.requests[1:])


def test_boto3_client_signs_with_the_imds_credentials(imds: FakeImds) -> None:
    issued = imds.add_role("app-role")
    with _StsRecorder() as sts:
        client = boto3.Session(region_name="us-east-1").client("sts", endpoint_url=sts.url)
        assert client.get_caller_identity()["Account"] == "123456789012"
    ((auth, security_token),) = sts.seen
    assert f"Credential={issued.access_key_id}/" in auth
    assert security_token == issued.session_token


# -- faults: what botocore does with each -----------------------------------------------------------
@pytest.mark.parametrize("status", [401, 403, 404, 405, 429, 500])
def test_token_refused_with_v2_required_botocore_falls_through_to_no_credentials(imds: FakeImds, status: int) -> None:
    """botocore treats any token failure but 400 as "use IMDSv1"; the v1 GET gets 401."""
    imds.add_role("app-role")
    imds.fail("token", status=status)
    assert get_credentials() is None
    assert flow(imds) == [("PUT", TOKEN, status, None), ("GET", LIST, 401, None)]


@pytest.mark.parametrize("status", [401, 404, 405, 429, 500])
def test_token_refused_with_v1_enabled_botocore_gets_v1_credentials(imds: FakeImds, status: int) -> None:
    imds.add_role("app-role")
    imds.v1_enabled = True
    imds.fail("token", status=status)
    assert get_credentials() is not None
    assert [r.version for r in imds.requests] == [None, "v1", "v1"]


def test_token_400_botocore_gives_up_without_falling_back(imds: FakeImds) -> None:
    imds.add_role("app-role")
    imds.v1_enabled = True
    imds.fail("token", status=400)
    assert get_credentials() is None
    assert flow(imds) == [("PUT", TOKEN, 400, None)]


@pytest.mark.parametrize("v1_enabled", [False, True])
def test_hop_limit_hang_botocore_times_out_then_tries_v1(imds: FakeImds, v1_enabled: bool) -> None:
    imds.add_role("app-role")
    imds.v1_enabled = v1_enabled
    imds.hang(target="token")
    creds = get_credentials()
    assert (creds is not None) is v1_enabled
    assert (imds.requests[0].status, imds.requests[0].fault) == (None, "hang on token")
    assert imds.requests[1].status == (200 if v1_enabled else 401)


@pytest.mark.parametrize("v1_enabled", [False, True])
def test_token_connection_reset_botocore_tries_v1(imds: FakeImds, v1_enabled: bool) -> None:
    imds.add_role("app-role")
    imds.v1_enabled = v1_enabled
    imds.reset_connection(target="token")
    assert (get_credentials() is not None) is v1_enabled
    assert imds.requests[1].token_present is False


def test_v1_disabled_in_botocore_raises_out_of_get_credentials(imds: FakeImds, monkeypatch: pytest.MonkeyPatch) -> None:
    imds.add_role("app-role")
    imds.v1_enabled = True
    imds.fail("token", status=403)
    monkeypatch.setenv("AWS_EC2_METADATA_V1_DISABLED", "true")
    with pytest.raises(MetadataRetrievalError, match="IMDSv1 has been disabled"):
        get_credentials()
    assert flow(imds) == [("PUT", TOKEN, 403, None)]


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
    imds: FakeImds, fault: Callable[[FakeImds], None], last: tuple[str, str, int | None, str | None]
) -> None:
    imds.add_role("app-role")
    fault(imds)
    assert get_credentials() is None
    assert flow(imds)[-1] == last
    assert flow(imds)[0] == ("PUT", TOKEN, 200, "v2")


def test_short_delay_is_ridden_out(imds: FakeImds) -> None:
    imds.add_role("app-role")
    imds.delay(0.2)
    assert get_credentials() is not None
    assert all(r.fault == "delay 0.2s on any" for r in imds.requests)


def test_unauthorized_role_botocore_returns_no_credentials(imds: FakeImds) -> None:
    imds.add_role("app-role", unauthorized=True)
    assert get_credentials() is None
    assert flow(imds)[-1] == ("GET", ROLE, 200, "v2")


def test_already_expired_credentials_botocore_extends_them(imds: FakeImds) -> None:
    """Static stability: botocore keeps using expired IMDS credentials, pushing the expiry forward."""
    issued = imds.add_role("app-role", expired=True)
    creds = botocore_session.Session().get_credentials()
    assert creds is not None
    assert creds.get_frozen_credentials().access_key == issued.access_key_id
    assert issued.expiration is not None
    assert creds._expiry_time > issued.expiration  # moved forward by botocore


# -- expiry and refresh on a frozen clock -----------------------------------------------------------
def test_credentials_expire_and_botocore_refreshes_from_the_fake(imds: FakeImds) -> None:
    with freeze_time("2026-11-21T10:00:00Z") as frozen:
        first = imds.add_role("app-role")
        creds = botocore_session.Session().get_credentials()
        assert creds.get_frozen_credentials().access_key == first.access_key_id
        assert len(imds.requests) == 3

        frozen.tick(timedelta(hours=1))  # well inside the lifetime: no refresh
        assert creds.get_frozen_credentials().access_key == first.access_key_id
        assert len(imds.requests) == 3

        frozen.tick(timedelta(hours=4, minutes=55))  # 5 minutes before expiry: mandatory refresh
        refreshed = creds.get_frozen_credentials()
        current = imds.credentials("app-role")
    assert refreshed.access_key == current.access_key_id != first.access_key_id
    assert flow(imds)[3:] == [("PUT", TOKEN, 200, "v2"), ("GET", LIST, 200, "v2"), ("GET", ROLE, 200, "v2")]
    assert imds.ledger.source_of_key(refreshed.access_key) == "imds:app-role"


# -- a recording STS endpoint for the boto3 client test ----------------------------------------------
class _StsRecorder(LoopbackServer):
    name = "sts recorder"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def __enter__(self) -> _StsRecorder:
        self.start()
        return self

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append((request.header("Authorization") or "", request.header("X-Amz-Security-Token")))
        body = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/app-role/i-0</Arn>"
            "<UserId>AROAEXAMPLE:i-0</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        )
        return HttpResponse(200, body.encode(), {"Content-Type": "text/xml"})


def test_attached_through_aws_env(imds_server: FakeImds) -> None:
    """The documented seam end to end: AwsEnv isolates, attach() points botocore at the fake."""
    from pytest_bedrock_creds.env import AwsEnv

    imds_server.reset()
    issued = imds_server.add_role("app-role")
    with AwsEnv(ledger=imds_server.ledger) as env:
        env.attach(imds_server)
        creds = botocore_session.Session().get_credentials()
        assert creds is not None
        assert creds.get_frozen_credentials().access_key == issued.access_key_id
    imds_server.check()
