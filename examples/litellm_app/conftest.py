"""The example project's tests import ``triage`` from this directory (pytest's default ``prepend``
import mode puts a conftest's directory on ``sys.path``).

litellm reads neither ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` nor ``AWS_CA_BUNDLE`` (what ``fake_bedrock``
sets for boto3): it has its own seams, ``AWS_BEDROCK_RUNTIME_ENDPOINT`` and ``SSL_CERT_FILE``. The
``bedrock`` fixture points them at the fake, inside the test's hermetic environment.
"""

from __future__ import annotations

import pytest

from pytest_bedrock_creds import AwsEnv, FakeBedrock


@pytest.fixture
def bedrock(aws_env: AwsEnv, fake_bedrock: FakeBedrock) -> FakeBedrock:
    aws_env.set(AWS_BEDROCK_RUNTIME_ENDPOINT=fake_bedrock.url, SSL_CERT_FILE=fake_bedrock.ca_bundle,
                TRIAGE_AWS_REGION="eu-central-1")
    return fake_bedrock
