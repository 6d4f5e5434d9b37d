"""The Rust SDK's table-driven IMDS-endpoint and container-URI cases, transcribed and run on the
reference chain and on botocore.

Provenance:

* family ``imds-endpoint``: ``awslabs/aws-sdk-rust``, ``sdk/aws-config/test-data/imds-config/imds-tests.json``
  (the 14 cases smithy-rs keeps as ``imds-endpoint-tests.json``). Each case: environment and config
  file -> the URI of the first request (the token PUT). Three cases set the endpoint or the mode
  in code (``endpoint_override`` / ``mode_override``); a Bedrock client's settings have no such
  option, so they are not transcribed ("explicit endpoint override", "explicit mode override",
  "environment variable overrides endpoint mode override"). Upstream error texts are Rust's;
  ours are asserted by kind.
* family ``ecs``: ``awslabs/aws-sdk-rust``, ``sdk/aws-config/test-data/ecs-tests.json`` (11 cases):
  environment -> the URL the container source asks, or an error.

``botocore`` records whether botocore 1.44 gives the same answer (``AGREES``) or how it departs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_bedrock_creds import AwsEnv
from pytest_bedrock_creds.chain import ChainError, ServiceSettings
from pytest_bedrock_creds.chain.container import container_endpoint
from pytest_bedrock_creds.chain.context import Context
from pytest_bedrock_creds.chain.imds_settings import read_imds_settings

AGREES = "agrees"
ERROR = "error"


@dataclass(frozen=True)
class TableCase:
    upstream: str
    env: dict[str, str]
    expect: str | None  # a URL, ERROR, or None (the source is not configured)
    config: str | None = None
    botocore: str = AGREES


IMDS = (
    TableCase("all fields unset, default endpoint", {}, "http://169.254.169.254/latest/api/token"),
    TableCase("environment variable endpoint override", {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://override:456"},
              "http://override:456/latest/api/token"),
    TableCase("profile endpoint override", {}, "http://override:456/latest/api/token",
              config="[default]\nec2_metadata_service_endpoint = http://override:456"),
    TableCase("environment overrides profile", {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://override:456"},
              "http://override:456/latest/api/token",
              config="[default]\nec2_metadata_service_endpoint = http://wrong:456"),
    TableCase("invalid endpoint mode override", {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "error"}, ERROR),
    TableCase("ipv4 endpoint", {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"},
              "http://169.254.169.254/latest/api/token"),
    TableCase("ipv6 endpoint", {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"},
              "http://[fd00:ec2::254]/latest/api/token"),
    TableCase("case insensitive endpoint", {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "ipV6"},
              "http://[fd00:ec2::254]/latest/api/token"),
    TableCase("ipv6 endpoint from config", {}, "http://[fd00:ec2::254]/latest/api/token",
              config="[default]\nec2_metadata_service_endpoint_mode = IPv6"),
    TableCase("invalid config endpoint mode", {}, ERROR, config="[default]\nec2_metadata_service_endpoint_mode = IPv7"),
    TableCase("invalid uri", {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "not a uri"}, ERROR),
)
IMDS_UPSTREAM, IMDS_IN_CODE_ONLY = 14, 3

ECS = (
    TableCase("all fields unset provider is not enabled", {}, None),
    TableCase("relative URI", {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/credentials"},
              "http://169.254.170.2/credentials"),
    TableCase("invalid full uri", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "/credentials"}, ERROR),
    TableCase("full uri HTTPS", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://mypersonalsite/credentials"},
              "https://mypersonalsite/credentials"),
    TableCase("full uri HTTPS with port", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://mypersonalsite:8080/credentials"},
              "https://mypersonalsite:8080/credentials"),
    TableCase("localhost", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://localhost:8080/credentials"},
              "http://localhost:8080/credentials"),
    TableCase("ecs task role", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/credentials"},
              "http://169.254.170.2/credentials"),
    TableCase("eks pod identity ipv4", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"},
              "http://169.254.170.23/v1/credentials"),
    TableCase("eks pod identity ipv6", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://[fd00:ec2::23]/v1/credentials"},
              "http://[fd00:ec2::23]/v1/credentials"),
    TableCase("relative takes precedence over full",
              {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://localhost:8080/credentials",
               "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/credentials"}, "http://169.254.170.2/credentials"),
    TableCase("support query params", {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/credentials?a=1"},
              "http://169.254.170.2/credentials?a=1"),
)


def _context(case: TableCase, tmp_path: Path) -> Context:
    environ = {"HOME": str(tmp_path), **case.env}
    if case.config is not None:
        (tmp_path / "config").write_text(case.config)
        environ["AWS_CONFIG_FILE"] = str(tmp_path / "config")
    ctx, _ = Context.build(environ=environ, settings=ServiceSettings(), operation="Converse")
    return ctx


def reference_imds(case: TableCase, tmp_path: Path) -> str:
    try:
        return read_imds_settings(_context(case, tmp_path)).endpoint + "/latest/api/token"
    except ChainError as exc:
        return f"{ERROR} {exc.kind}"


def reference_ecs(case: TableCase, tmp_path: Path) -> str | None:
    try:
        chosen = container_endpoint(_context(case, tmp_path))
    except ChainError as exc:
        return f"{ERROR} {exc.kind}"
    return None if chosen is None else chosen[0]


def _botocore_env(env: AwsEnv, case: TableCase) -> None:
    env.unset("AWS_EC2_METADATA_DISABLED")
    if case.config is not None:
        env.config_path.parent.mkdir(parents=True, exist_ok=True)
        env.config_path.write_text(case.config)
    env.set(**case.env)


def botocore_imds(env: AwsEnv, case: TableCase) -> str:
    """The token URL of the IMDS fetcher botocore's default chain builds (built, never run)."""
    import botocore.session
    from botocore.credentials import InstanceMetadataProvider, create_credential_resolver
    from botocore.exceptions import BotoCoreError

    _botocore_env(env, case)
    try:
        resolver = create_credential_resolver(botocore.session.Session())
    except BotoCoreError:
        return ERROR
    provider = next(p for p in resolver.providers if isinstance(p, InstanceMetadataProvider))
    base: str = provider._role_fetcher.get_base_url()  # read, never patched
    return base.rstrip("/") + "/latest/api/token"


def botocore_ecs(env: AwsEnv, case: TableCase) -> str | None:
    """The URL botocore's container provider asks (through a fetcher that records instead of sending)."""
    from botocore.credentials import ContainerProvider
    from botocore.utils import ContainerMetadataFetcher

    asked: list[str] = []

    class Recording(ContainerMetadataFetcher):  # type: ignore[misc]
        def _retrieve_credentials(self, full_url: str, extra_headers: Any = None) -> dict[str, str]:
            asked.append(full_url)
            return {"AccessKeyId": "AKID", "SecretAccessKey": "s", "Token": "t", "Expiration": "2099-01-01T00:00:00Z"}

    _botocore_env(env, case)
    try:
        loaded = ContainerProvider(environ=dict(os.environ), fetcher=Recording()).load()
    except ValueError:
        return ERROR
    return None if loaded is None else asked[-1]


ALL = [("imds-endpoint", c) for c in IMDS] + [("ecs", c) for c in ECS]
IDS = [f"{family}: {case.upstream}" for family, case in ALL]
REFERENCE = {"imds-endpoint": (reference_imds, "invalid-config"), "ecs": (reference_ecs, "container-error")}
BOTOCORE = {"imds-endpoint": botocore_imds, "ecs": botocore_ecs}


@pytest.mark.parametrize(("family", "case"), ALL, ids=IDS)
def test_reference(family: str, case: TableCase, tmp_path: Path) -> None:
    run, error_kind = REFERENCE[family]
    expect = f"{ERROR} {error_kind}" if case.expect == ERROR else case.expect
    assert run(case, tmp_path) == expect


@pytest.mark.parametrize(("family", "case"), ALL, ids=IDS)
def test_botocore(family: str, case: TableCase, aws_env: AwsEnv) -> None:
    assert (BOTOCORE[family](aws_env, case) == case.expect) == (case.botocore == AGREES)


def test_counts() -> None:
    assert len(IMDS) == IMDS_UPSTREAM - IMDS_IN_CODE_ONLY == 11
    assert len(ECS) == 11
    assert sum(c.botocore == AGREES for c in IMDS) == 11
    assert sum(c.botocore == AGREES for c in ECS) == 11
