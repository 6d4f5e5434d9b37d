"""Wire behaviour of FakeContainerCredentials (ECS and EKS Pod Identity flavours), no SDK."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from datetime import timedelta
from pathlib import Path

import pytest
from _fake_helpers import container_credentials, issued_keys
from freezegun import freeze_time

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import Ledger
from pytest_bedrock_creds.servers.container import FakeContainerCredentials


@pytest.fixture(params=["ecs", "eks"])
def fake(request: pytest.FixtureRequest, aws_env: AwsEnv) -> Iterator[FakeContainerCredentials]:
    yield from container_credentials(request, aws_env)


def get(
    fake: FakeContainerCredentials, path: str | None = None, auth: str | None = "<valid>", method: str = "GET"
) -> tuple[int, str, str]:
    headers = {}
    if auth == "<valid>":
        assert fake.auth_token is not None
        headers["Authorization"] = fake.auth_token
    elif auth is not None:
        headers["Authorization"] = auth
    conn = http.client.HTTPConnection(fake.host, fake.port, timeout=5)
    try:
        conn.request(method, path or fake.path, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        return response.status, response.getheader("Content-Type") or "", text
    finally:
        conn.close()


def test_serves_ledger_issued_credentials(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    status, content_type, text = get(fake)
    assert (status, content_type) == (200, "application/json")
    doc = json.loads(text)
    assert (doc["AccessKeyId"], doc["SecretAccessKey"], doc["Token"]) == issued_keys(issued)
    assert issued.source == "container"
    assert fake.ledger.source_of_key(issued.access_key_id) == "container"
    assert fake.requests[0].authorization == "valid"


def test_ecs_document_shape() -> None:
    with FakeContainerCredentials(flavour="ecs") as ecs, freeze_time("2026-11-21T10:00:00Z"):
        ecs.issue()
        doc = json.loads(get(ecs)[2])
    assert ecs.path.startswith("/v2/credentials/")
    assert list(doc) == ["AccessKeyId", "Expiration", "RoleArn", "SecretAccessKey", "Token"]
    assert doc["Expiration"] == "2026-11-21T16:00:00Z"


def test_eks_document_shape() -> None:
    with FakeContainerCredentials(flavour="eks") as eks, freeze_time("2026-11-21T10:00:00Z"):
        eks.issue()
        doc = json.loads(get(eks)[2])
    assert eks.path == "/v1/credentials"
    assert doc["AccountId"] == "123456789012"
    assert doc["Expiration"] == "2026-11-21T16:00:00.000000789Z"


def test_missing_and_wrong_token(fake: FakeContainerCredentials) -> None:
    fake.issue()
    missing = get(fake, auth=None)
    wrong = get(fake, auth="not-the-token")
    if fake.flavour == "eks":
        assert missing[0] == 400
        assert missing[2] == "Service account token cannot be empty\n"
        assert missing[1].startswith("text/plain")
    else:
        assert missing[0] == 403
        assert json.loads(missing[2])["code"] == "AccessDenied"
    assert wrong[0] == 403
    assert [r.authorization for r in fake.requests] == ["missing", "invalid"]


def test_eks_rejects_a_bearer_prefix() -> None:
    with FakeContainerCredentials(flavour="eks") as eks:
        eks.issue()
        assert get(eks, auth=f"Bearer {eks.auth_token}")[0] == 400


def test_no_auth_token_accepts_anything() -> None:
    with FakeContainerCredentials(auth_token=None) as open_fake:
        open_fake.issue()
        assert get(open_fake, auth=None)[0] == 200
        assert open_fake.requests[0].authorization == "not-checked"
        assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" not in open_fake.env()


def test_unknown_path_wrong_method_and_no_credentials_yet(fake: FakeContainerCredentials) -> None:
    assert get(fake)[0] == (500 if fake.flavour == "eks" else 503)
    fake.issue()
    assert get(fake, path="/v2/credentials/other")[0] == (404 if fake.flavour == "eks" else 400)
    assert get(fake, method="POST")[0] == 405


def test_faults(fake: FakeContainerCredentials) -> None:
    fake.issue()
    fake.fail(status=429, times=1)
    fake.malformed_json(times=1)
    assert get(fake)[0] == 429
    status, _, text = get(fake)
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert get(fake)[0] == 200
    fake.reset_connection(times=1)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        get(fake)
    assert [r.fault for r in fake.requests] == [
        "status 429 on credentials",
        "malformed on credentials",
        None,
        "reset on any",
    ]
    with pytest.raises(ValueError, match="target"):
        fake.fail("token")


def test_issue_replaces_and_expires(fake: FakeContainerCredentials) -> None:
    first = fake.issue()
    second = fake.issue(lifetime=timedelta(minutes=30))
    assert json.loads(get(fake)[2])["AccessKeyId"] == second.access_key_id != first.access_key_id
    old = fake.issue(expired=True)
    assert json.loads(get(fake)[2])["AccessKeyId"] == old.access_key_id
    with pytest.raises(ValueError, match="lifetime"):
        fake.issue(lifetime=timedelta(0))
    with pytest.raises(ValueError, match="expiration"):
        fake.issue(expiration=second.expiration, expired=True)


def test_env_inline_and_token_file(fake: FakeContainerCredentials, tmp_path: Path) -> None:
    assert fake.auth_token is not None
    assert fake.env() == {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": fake.url + fake.path,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": fake.auth_token,
    }
    token_file = tmp_path / "token"
    env = fake.env(token_file=token_file)
    assert env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == str(token_file)
    assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" not in env
    assert token_file.read_text() == fake.auth_token  # no trailing newline


def test_nothing_secret_is_printed_and_records_are_frozen(fake: FakeContainerCredentials) -> None:
    issued = fake.issue()
    get(fake)
    assert fake.auth_token is not None
    printed = repr(fake) + repr(fake.requests)
    for secret in (fake.auth_token, issued.secret_access_key, issued.session_token or "?"):
        assert secret not in printed
    with pytest.raises(FrozenInstanceError):
        fake.requests[0].status = 1  # type: ignore[misc]


def test_reset_keeps_token_and_path(fake: FakeContainerCredentials) -> None:
    token, path = fake.auth_token, fake.path
    fake.issue()
    fake.fail()
    get(fake)
    fake.reset()
    assert (fake.requests, fake.credentials, fake.auth_token, fake.path) == ((), None, token, path)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"flavour": "gke"}, "flavour"),
        ({"auth_token": ""}, "auth_token"),
        ({"auth_token": "a\nb"}, "auth_token"),
        ({"path": "v1/credentials"}, "path"),
    ],
)
def test_constructor_rejects_bad_options(options: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        FakeContainerCredentials(**options)  # type: ignore[arg-type]


def test_shared_ledger() -> None:
    ledger = Ledger()
    with FakeContainerCredentials(ledger=ledger) as shared:
        issued = shared.issue()
    assert ledger.source_of_key(issued.access_key_id) == "container"
