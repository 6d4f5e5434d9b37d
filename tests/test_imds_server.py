"""Wire behaviour of FakeImds, checked with a plain HTTP client (no SDK)."""

from __future__ import annotations

import http.client
import json
import re
import socket
from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta, timezone

import pytest
from _fake_helpers import issued_keys
from freezegun import freeze_time

from pytest_bedrock_creds.ledger import Ledger
from pytest_bedrock_creds.servers.base import ServerError
from pytest_bedrock_creds.servers.imds import FakeImds

CREDS = "/latest/meta-data/iam/security-credentials"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def exchange(
    fake: FakeImds, method: str, path: str, headers: dict[str, str] | None = None, timeout: float = 5
) -> tuple[http.client.HTTPResponse, str]:
    conn = http.client.HTTPConnection(fake.host, fake.port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response, response.read().decode()
    finally:
        conn.close()


def call(
    fake: FakeImds, method: str, path: str, headers: dict[str, str] | None = None, timeout: float = 5
) -> http.client.HTTPResponse:
    return exchange(fake, method, path, headers, timeout)[0]


def body(fake: FakeImds, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    response, text = exchange(fake, method, path, headers)
    return response.status, text


def token(fake: FakeImds, ttl: int = 21600) -> dict[str, str]:
    status, value = body(fake, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
    assert status == 200
    return {"X-aws-ec2-metadata-token": value}


# -- token ---------------------------------------------------------------------------------
def test_token_put_echoes_ttl_and_sends_real_headers(fake_imds: FakeImds) -> None:
    response = call(fake_imds, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    assert response.status == 200
    assert response.getheader("X-aws-ec2-metadata-token-ttl-seconds") == "300"
    assert response.getheader("Server") == "EC2ws"
    assert response.getheader("Content-Type") == "text/plain"
    assert response.getheader("Connection") == "close"


@pytest.mark.parametrize("ttl", [None, "0", "21601", "-5", "abc", ""])
def test_token_ttl_outside_1_to_21600_is_400(fake_imds: FakeImds, ttl: str | None) -> None:
    headers = {} if ttl is None else {"X-aws-ec2-metadata-token-ttl-seconds": ttl}
    assert call(fake_imds, "PUT", "/latest/api/token", headers).status == 400


@pytest.mark.parametrize("ttl", ["1", "21600"])
def test_token_ttl_bounds_are_accepted(fake_imds: FakeImds, ttl: str) -> None:
    assert call(fake_imds, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": ttl}).status == 200


def test_token_put_with_x_forwarded_for_is_403(fake_imds: FakeImds) -> None:
    headers = {"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "10.0.0.1"}
    assert call(fake_imds, "PUT", "/latest/api/token", headers).status == 403


def test_token_wrong_method_is_405_and_versioned_path_403(fake_imds: FakeImds) -> None:
    assert call(fake_imds, "GET", "/latest/api/token").status == 405
    headers = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
    assert call(fake_imds, "PUT", "/2021-03-23/api/token", headers).status == 403


def test_token_expires_on_the_frozen_clock(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    with freeze_time("2026-11-21T10:00:00Z") as frozen:
        headers = token(fake_imds, ttl=60)
        assert call(fake_imds, "GET", CREDS, headers).status == 200
        frozen.tick(timedelta(seconds=59))
        ok = call(fake_imds, "GET", CREDS, headers)
        assert ok.status == 200
        assert ok.getheader("X-aws-ec2-metadata-token-ttl-seconds") == "1"
        frozen.tick(timedelta(seconds=1))
        assert call(fake_imds, "GET", CREDS, headers).status == 401
    assert [r.token_valid for r in fake_imds.requests if r.method == "GET"] == [True, True, False]


# -- IMDSv2 required / v1 enabled -------------------------------------------------------------
def test_v2_required_by_default_missing_or_invalid_token_is_401(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    assert fake_imds.v1_enabled is False
    assert call(fake_imds, "GET", CREDS).status == 401
    assert call(fake_imds, "GET", CREDS, {"X-aws-ec2-metadata-token": "AQAEAbogus"}).status == 401
    assert call(fake_imds, "GET", CREDS, token(fake_imds)).status == 200
    records = fake_imds.requests
    assert [(r.status, r.token_present, r.token_valid, r.version) for r in records if r.method == "GET"] == [
        (401, False, False, None),
        (401, True, False, None),
        (200, True, True, "v2"),
    ]


def test_v1_enabled_serves_without_token_but_rejects_an_invalid_one(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    ok = call(fake_imds, "GET", CREDS)
    assert ok.status == 200
    assert ok.getheader("X-aws-ec2-metadata-token-ttl-seconds") is None
    assert call(fake_imds, "GET", CREDS, {"X-aws-ec2-metadata-token": "AQAEAbogus"}).status == 401
    assert fake_imds.requests[0].version == "v1"


def test_v1_enabled_must_be_a_bool(fake_imds: FakeImds) -> None:
    with pytest.raises(ValueError, match="v1_enabled"):
        fake_imds.v1_enabled = "yes"  # type: ignore[assignment]


# -- metadata paths ---------------------------------------------------------------------------
def test_role_listing_with_and_without_slash(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    headers = token(fake_imds)
    assert body(fake_imds, "GET", CREDS, headers) == (200, "app-role")
    assert body(fake_imds, "GET", CREDS + "/", headers) == (200, "app-role")


def test_no_role_means_404_for_listing_and_iam(fake_imds: FakeImds) -> None:
    headers = token(fake_imds)
    assert call(fake_imds, "GET", CREDS + "/", headers).status == 404
    assert call(fake_imds, "GET", "/latest/meta-data/iam/info", headers).status == 404


def test_credentials_document_has_the_real_shape(fake_imds: FakeImds) -> None:
    with freeze_time("2026-11-21T10:00:00Z"):
        issued = fake_imds.add_role("app-role")
        status, text = body(fake_imds, "GET", CREDS + "/app-role", token(fake_imds))
    assert status == 200
    assert '"Code" : "Success"' in text
    doc = json.loads(text)
    assert list(doc) == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"]
    assert doc["Type"] == "AWS-HMAC"
    assert doc["LastUpdated"] == "2026-11-21T10:00:00Z"
    assert doc["Expiration"] == "2026-11-21T16:00:00Z"
    assert TS.match(doc["Expiration"])
    assert (doc["AccessKeyId"], doc["SecretAccessKey"], doc["Token"]) == issued_keys(issued)
    assert issued.source == "imds:app-role"
    assert fake_imds.ledger.source_of_key(issued.access_key_id) == "imds:app-role"


def test_extended_credentials_carry_the_account_id(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    headers = token(fake_imds)
    ext = "/latest/meta-data/iam/security-credentials-extended"
    assert body(fake_imds, "GET", ext, headers) == (200, "app-role")
    status, text = body(fake_imds, "GET", ext + "/app-role", headers)
    assert status == 200
    assert json.loads(text)["AccountId"] == fake_imds.ledger.account_id
    assert "AccountId" not in json.loads(body(fake_imds, "GET", CREDS + "/app-role", headers)[1])
    fake_imds.extended_api = False
    assert call(fake_imds, "GET", ext + "/app-role", headers).status == 404


def test_instance_paths(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    headers = token(fake_imds)
    assert body(fake_imds, "GET", "/latest/meta-data/placement/region", headers) == (200, "us-east-1")
    assert body(fake_imds, "GET", "/latest/meta-data/placement/availability-zone/", headers) == (200, "us-east-1a")
    info = json.loads(body(fake_imds, "GET", "/latest/meta-data/iam/info", headers)[1])
    assert info["Code"] == "Success"
    assert info["InstanceProfileArn"].endswith(":instance-profile/app-role")
    doc = json.loads(body(fake_imds, "GET", "/latest/dynamic/instance-identity/document", headers)[1])
    assert (doc["region"], doc["accountId"], doc["version"]) == ("us-east-1", "123456789012", "2017-09-30")
    assert body(fake_imds, "GET", "/latest/meta-data/iam", headers) == (200, "info\nsecurity-credentials/")


def test_unknown_path_404_and_wrong_method_405(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    headers = token(fake_imds)
    missing = call(fake_imds, "GET", "/latest/meta-data/no-such-thing", headers)
    assert missing.status == 404
    assert missing.getheader("Content-Type") == "text/html"
    assert call(fake_imds, "GET", CREDS + "/other-role", headers).status == 404
    assert call(fake_imds, "POST", CREDS, headers).status == 405
    assert call(fake_imds, "DELETE", "/latest/meta-data/placement/region", headers).status == 405


# -- roles --------------------------------------------------------------------------------------
def test_rotate_and_expired_and_unauthorized(fake_imds: FakeImds) -> None:
    first = fake_imds.add_role("app-role")
    second = fake_imds.rotate("app-role")
    assert second.access_key_id != first.access_key_id
    headers = token(fake_imds)
    assert json.loads(body(fake_imds, "GET", CREDS + "/app-role", headers)[1])["AccessKeyId"] == second.access_key_id

    old = fake_imds.add_role("old-role", expired=True)
    assert old.expiration is not None
    assert old.expiration < datetime.now(timezone.utc)
    fake_imds.add_role("denied", unauthorized=True)
    doc = json.loads(body(fake_imds, "GET", CREDS + "/denied", headers)[1])
    assert doc["Code"] == "AssumeRoleUnauthorizedAccess"
    assert "AccessKeyId" not in doc


def test_credentials_rotate_hourly_on_the_fake_clock(fake_imds: FakeImds) -> None:
    with freeze_time("2026-11-21T10:00:00Z") as frozen:
        first = fake_imds.add_role("app-role")
        frozen.tick(timedelta(minutes=59))
        assert fake_imds.credentials("app-role") == first
        frozen.tick(timedelta(minutes=1))
        second = fake_imds.credentials("app-role")
    assert second.access_key_id != first.access_key_id
    assert second.expiration == datetime(2026, 11, 21, 17, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"lifetime": timedelta(0)}, "lifetime"),
        ({"lifetime": 3600}, "lifetime"),
        ({"expiration": datetime(2030, 1, 1)}, "expiration"),
        ({"expired": True, "expiration": datetime(2030, 1, 1, tzinfo=timezone.utc)}, "expired"),
        ({"rotate_every": timedelta(seconds=-1)}, "rotate_every"),
    ],
)
def test_add_role_rejects_bad_options_naming_the_field(
    fake_imds: FakeImds, options: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        fake_imds.add_role("app-role", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "a/b", "with space", "line\nbreak"])
def test_add_role_rejects_bad_names(fake_imds: FakeImds, name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        fake_imds.add_role(name)


def test_rotate_unknown_role_names_the_known_ones(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    with pytest.raises(ValueError, match="'app-role'"):
        fake_imds.rotate("nope")


# -- faults ---------------------------------------------------------------------------------------
def test_fail_times_then_recovers(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.fail("credentials", status=503, times=1)
    headers = token(fake_imds)
    assert call(fake_imds, "GET", CREDS, headers).status == 200  # not the credentials step
    assert call(fake_imds, "GET", CREDS + "/app-role", headers).status == 503
    assert call(fake_imds, "GET", CREDS + "/app-role", headers).status == 200
    assert [r.fault for r in fake_imds.requests] == [None, None, "status 503 on credentials", None]


def test_fail_on_a_path_and_until_reset(fake_imds: FakeImds) -> None:
    fake_imds.fail("/latest/meta-data/placement/region", status=429)
    headers = token(fake_imds)
    for _ in range(3):
        assert call(fake_imds, "GET", "/latest/meta-data/placement/region/", headers).status == 429
    fake_imds.reset()
    assert call(fake_imds, "GET", "/latest/meta-data/placement/region", token(fake_imds)).status == 200


@pytest.mark.parametrize(
    ("call_args", "field"),
    [
        (("nowhere",), "target"),
        (("token", 99), "status"),
        (("token", 500, 0), "times"),
    ],
)
def test_fail_rejects_bad_arguments(fake_imds: FakeImds, call_args: tuple[object, ...], field: str) -> None:
    target, *rest = call_args
    kwargs = dict(zip(("status", "times"), rest, strict=False))
    with pytest.raises(ValueError, match=field):
        fake_imds.fail(target, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds"):
        fake_imds.delay(-1)


def test_malformed_json(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.malformed_json(times=1)
    status, text = body(fake_imds, "GET", CREDS + "/app-role", token(fake_imds))
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_reset_connection(fake_imds: FakeImds) -> None:
    fake_imds.reset_connection(target="token", times=1)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        call(fake_imds, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    assert fake_imds.requests[0].status is None
    assert fake_imds.requests[0].fault == "reset on token"
    token(fake_imds)


def test_hang_never_answers(fake_imds: FakeImds) -> None:
    fake_imds.hang(times=1)
    with pytest.raises(socket.timeout):
        call(fake_imds, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"}, timeout=0.3)
    assert fake_imds.requests[0].status is None
    token(fake_imds)  # the next PUT is answered


def test_delay_still_answers(fake_imds: FakeImds) -> None:
    fake_imds.delay(0.05, target="token", times=1)
    token(fake_imds)
    assert fake_imds.requests[0].fault == "delay 0.05s on token"


# -- the face -------------------------------------------------------------------------------------
def test_records_are_frozen_and_nothing_secret_is_printed(fake_imds: FakeImds) -> None:
    issued = fake_imds.add_role("app-role")
    body(fake_imds, "GET", CREDS + "/app-role", token(fake_imds))
    with pytest.raises(FrozenInstanceError):
        fake_imds.requests[0].status = 1  # type: ignore[misc]
    printed = repr(fake_imds) + repr(fake_imds.requests) + repr(issued) + str(issued)
    assert issued.secret_access_key not in printed
    assert issued.session_token is not None
    assert issued.session_token not in printed
    assert "app-role" in repr(fake_imds)


def test_check_raises_what_went_wrong_inside(fake_imds: FakeImds, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(path: str) -> bytes:
        raise RuntimeError("lookup exploded")

    monkeypatch.setattr(fake_imds.model, "_lookup", boom)
    assert call(fake_imds, "GET", CREDS, token(fake_imds)).status == 500
    with pytest.raises(ServerError, match=r"GET /latest/meta-data/iam/security-credentials.*lookup exploded"):
        fake_imds.check()


def test_reset_restores_defaults(fake_imds: FakeImds) -> None:
    fake_imds.add_role("app-role")
    fake_imds.v1_enabled = True
    fake_imds.fail("any")
    call(fake_imds, "GET", CREDS)
    fake_imds.reset()
    assert (fake_imds.v1_enabled, fake_imds.requests, fake_imds.model.roles) == (False, (), ())
    assert call(fake_imds, "GET", CREDS).status == 401


def test_shared_ledger_and_env() -> None:
    ledger = Ledger()
    with FakeImds(ledger=ledger) as fake:
        issued = fake.add_role("app-role")
        assert fake.env() == {"AWS_EC2_METADATA_SERVICE_ENDPOINT": fake.url + "/"}
    assert ledger.source_of_key(issued.access_key_id) == "imds:app-role"
    assert not fake.running


def test_non_loopback_host_is_refused() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeImds(host="0.0.0.0")


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback")
def test_ipv6_loopback() -> None:
    with FakeImds(host="::1") as fake:
        assert fake.url.startswith("http://[::1]:")
        assert call(fake, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "5"}).status == 200
