"""Divergence rows that are not precedence cases: each runs the real SDK and shows the difference."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import InvalidEndpointConfigurationError
from precedence_cases import CASES
from test_precedence import readme_divergences

from pytest_bedrock_creds import AwsEnv
from pytest_bedrock_creds.chain import resolve

#: Rows proved by the tests in this module rather than by a precedence case.
SHOWN_HERE = {"bearer-over-plain-http", "experimental-client-ignores-bearer"}


def test_every_readme_row_is_backed_by_a_test() -> None:
    backed = {c.divergence for c in CASES if c.divergence} | SHOWN_HERE
    assert readme_divergences() == backed


def test_bearer_over_plain_http(aws_env: AwsEnv) -> None:
    aws_env.bearer_token()
    aws_env.static_keys()
    assert resolve().scheme == "bearer"  # the reference has no notion of the transport
    client = boto3.Session().client("bedrock-runtime", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(InvalidEndpointConfigurationError, match="Bearer authorization requires an HTTPS endpoint"):
        client.converse(modelId="m", messages=[{"role": "user", "content": [{"text": "hi"}]}])
