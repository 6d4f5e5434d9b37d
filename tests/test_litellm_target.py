"""litellm, unmodified, against the fakes: what it does that boto3 does not, and what ``aws_env``
undoes between tests (its process-wide credential cache, its offline switches)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

litellm = pytest.importorskip("litellm")

from litellm.llms.custom_httpx.http_handler import HTTPHandler  # noqa: E402

from pytest_bedrock_creds import AwsEnv, AwsFiles, FakeBedrock, Ledger  # noqa: E402
from pytest_bedrock_creds.chain import ServiceSettings, resolve  # noqa: E402
from pytest_bedrock_creds.env import OFFLINE_SWITCHES  # noqa: E402
from pytest_bedrock_creds.guard import expect_blocked  # noqa: E402

MODEL = "bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0"


def _complete(fake: FakeBedrock, **kwargs: Any) -> Any:
    kwargs.setdefault("aws_bedrock_runtime_endpoint", fake.url)
    return litellm.completion(model=MODEL, messages=[{"role": "user", "content": "hi"}], num_retries=0,
                              client=HTTPHandler(ssl_verify=fake.ca_bundle), **kwargs)


def test_credentials_outlive_the_environment_they_came_from(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                            aws_files: AwsFiles) -> None:
    """litellm-credential-cache: credentials found through the chain are cached for the process."""
    first = aws_files.credentials("default")
    _complete(fake_bedrock)
    fake_bedrock.assert_auth(scheme="sigv4", source="shared-credentials-file:default")
    assert fake_bedrock.last_request.auth.access_key_id == first.access_key_id
    rotated = aws_files.credentials("default")  # the file now holds other keys (a rotation)
    assert resolve().access_key_id == rotated.access_key_id
    _complete(fake_bedrock)
    assert fake_bedrock.last_request.auth.access_key_id == first.access_key_id, "litellm kept the old keys"
    with AwsEnv(ledger=aws_env.ledger) as inner:  # entering an AwsEnv flushes litellm's cache
        again = AwsFiles(inner).credentials("default")
        inner.attach(fake_bedrock)
        _complete(fake_bedrock)
        assert fake_bedrock.last_request.auth.access_key_id == again.access_key_id


def test_a_later_test_does_not_sign_with_an_earlier_tests_keys(bedrock_ledger: Ledger,
                                                              bedrock_server: FakeBedrock) -> None:
    seen = []
    for _ in range(2):
        with AwsEnv(ledger=bedrock_ledger) as env:
            env.attach(bedrock_server)
            issued = AwsFiles(env).credentials("default")
            bedrock_server.reset()
            _complete(bedrock_server)
            seen.append((issued.access_key_id, bedrock_server.last_request.auth.access_key_id))
    assert [sent for _, sent in seen] == [issued for issued, _ in seen]


def test_a_whitespace_api_key_is_not_sendable(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """whitespace-bearer-not-sendable: only an empty token counts as unset."""
    aws_env.static_keys()
    aws_env.bearer_token("   ")
    assert resolve().source == "env"
    with pytest.raises(litellm.APIConnectionError, match="Illegal header value"):
        _complete(fake_bedrock)
    assert fake_bedrock.requests == ()
    aws_env.bearer_token("")
    _complete(fake_bedrock)
    fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


def test_empty_environment_keys_are_used_as_values(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                   aws_files: AwsFiles) -> None:
    """empty-env-keys: litellm reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY with os.getenv."""
    aws_files.credentials("default")
    issued = aws_env.static_keys()
    aws_env.set(AWS_SECRET_ACCESS_KEY="")
    assert resolve().error is not None, "the reference: a key id without a secret stops the chain"
    with pytest.raises(litellm.PermissionDeniedError, match="signature we calculated does not match"):
        _complete(fake_bedrock)
    auth = fake_bedrock.last_request.auth
    assert (auth.access_key_id, auth.signature_valid, auth.error) == (issued.access_key_id, False,
                                                                     "InvalidSignatureException")
    aws_env.set(AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY=issued.secret_access_key)
    assert resolve().source == "shared-credentials-file:default"
    with pytest.raises(litellm.AuthenticationError, match="security token included in the request is invalid"):
        _complete(fake_bedrock)
    assert fake_bedrock.last_request.auth.access_key_id == ""


def test_each_key_parameter_falls_back_to_its_own_variable(fake_bedrock: FakeBedrock, aws_env: AwsEnv,
                                                           bedrock_ledger: Ledger) -> None:
    """keys-filled-per-field-from-env: a secret given in code is paired with AWS_ACCESS_KEY_ID."""
    env_keys = aws_env.static_keys()
    given = bedrock_ledger.issue_credentials("static")
    reference = resolve(settings=ServiceSettings(secret_access_key=given.secret_access_key))
    assert reference.error == "service settings give secret_access_key without access_key_id"
    with pytest.raises(litellm.PermissionDeniedError, match="signature we calculated does not match"):
        _complete(fake_bedrock, aws_secret_access_key=given.secret_access_key)
    auth = fake_bedrock.last_request.auth
    assert (auth.access_key_id, auth.source, auth.signature_valid) == (env_keys.access_key_id, "env", False)


def _complete_by_environment() -> Any:
    return litellm.completion(model=MODEL, messages=[{"role": "user", "content": "hi"}], num_retries=0)


def test_the_standard_endpoint_variable_is_not_read(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """aws_env + fake_bedrock set AWS_ENDPOINT_URL_BEDROCK_RUNTIME (and AWS_CA_BUNDLE); litellm reads
    neither (its seams: aws_bedrock_runtime_endpoint / AWS_BEDROCK_RUNTIME_ENDPOINT, ssl_verify /
    SSL_CERT_FILE), so it heads for the real regional endpoint, which the network guard refuses."""
    aws_env.static_keys()
    assert os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == fake_bedrock.url
    real_endpoint = r"bedrock-runtime\.us-east-1\.amazonaws\.com"
    with expect_blocked(), pytest.raises(litellm.APIConnectionError, match=real_endpoint):
        _complete_by_environment()
    assert fake_bedrock.requests == ()


def test_a_cached_http_client_keeps_the_trust_it_was_built_with(fake_bedrock: FakeBedrock, aws_env: AwsEnv) -> None:
    """litellm caches its httpx clients for the process: SSL_CERT_FILE set after a first call is not
    seen; entering an AwsEnv flushes that cache."""
    aws_env.static_keys()
    aws_env.set(AWS_BEDROCK_RUNTIME_ENDPOINT=fake_bedrock.url)
    for _ in range(2):
        with pytest.raises(litellm.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            _complete_by_environment()
        aws_env.set(SSL_CERT_FILE=fake_bedrock.ca_bundle)  # too late for the cached client
    assert fake_bedrock.requests == ()
    with AwsEnv(ledger=aws_env.ledger) as inner:
        inner.static_keys()
        inner.set(AWS_BEDROCK_RUNTIME_ENDPOINT=fake_bedrock.url, SSL_CERT_FILE=fake_bedrock.ca_bundle)
        _complete_by_environment()
        fake_bedrock.assert_auth(scheme="sigv4", source="env", signature_valid=True)


_IMPORT_WATCHED = """\
import socket, sys
looked_up = []
def hook(event, args):
    if event == "socket.getaddrinfo" and args[0] not in ("localhost", "127.0.0.1", "::1"):
        looked_up.append(args[0])
        raise OSError("refused by the test: " + str(args[0]))
sys.addaudithook(hook)
import litellm
print(sorted(set(looked_up)))
"""


def _import_litellm_in_a_child(environ: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", _IMPORT_WATCHED], env=environ, capture_output=True, text=True,
                          timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_aws_env_keeps_litellm_from_fetching_its_cost_map(aws_env: AwsEnv) -> None:
    """Every lookup off the machine is refused inside the child, before any packet leaves."""
    assert {name: os.environ[name] for name in OFFLINE_SWITCHES} == OFFLINE_SWITCHES
    assert _import_litellm_in_a_child(dict(os.environ)) == "[]"
    without = {k: v for k, v in os.environ.items() if k not in OFFLINE_SWITCHES}
    assert "raw.githubusercontent.com" in _import_litellm_in_a_child(without)
