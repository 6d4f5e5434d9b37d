"""Region: the reference chain's answer, beside the region botocore builds its client for.

The guide: the client's setting, ``AWS_REGION``, the profile's ``region``. The reference adds
``AWS_DEFAULT_REGION`` after ``AWS_REGION`` (botocore's variable; the other Python clients read
it second too). botocore never reads ``AWS_REGION``: the tests marked *departure* pin that.
"""

from __future__ import annotations

import pytest

from pytest_bedrock_creds import AwsEnv, AwsFiles
from pytest_bedrock_creds.chain import ServiceSettings, resolve


def botocore_region(region_name: str | None = None) -> str:
    """The region of a real boto3 ``bedrock-runtime`` client, or its error's class name."""
    import boto3

    try:
        client = boto3.Session().client("bedrock-runtime", region_name=region_name,
                                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="s")
    except Exception as exc:  # noqa: BLE001 - the SDK's error is the observation
        return type(exc).__name__
    return str(client.meta.region_name)


@pytest.fixture
def no_region(aws_env: AwsEnv) -> AwsEnv:
    aws_env.unset("AWS_REGION", "AWS_DEFAULT_REGION")
    aws_env.static_keys()
    return aws_env


def reference(**settings: str) -> tuple[str | None, str | None, str | None]:
    result = resolve(settings=ServiceSettings(**settings))
    return result.region, result.region_source, result.error_kind


def test_settings_region_wins(no_region: AwsEnv) -> None:
    no_region.set(AWS_REGION="us-west-2", AWS_DEFAULT_REGION="us-east-2")
    assert reference(region="eu-central-1") == ("eu-central-1", "settings", None)
    assert botocore_region("eu-central-1") == "eu-central-1"


def test_aws_region_alone_departure(no_region: AwsEnv) -> None:
    no_region.set(AWS_REGION="us-west-2")
    assert reference() == ("us-west-2", "env:AWS_REGION", None)
    assert botocore_region() == "NoRegionError"  # botocore never reads AWS_REGION


def test_aws_region_beats_aws_default_region_departure(no_region: AwsEnv) -> None:
    no_region.set(AWS_REGION="us-west-2", AWS_DEFAULT_REGION="us-east-2")
    assert reference() == ("us-west-2", "env:AWS_REGION", None)
    assert botocore_region() == "us-east-2"


def test_aws_default_region_alone(no_region: AwsEnv) -> None:
    no_region.set(AWS_DEFAULT_REGION="us-east-2")
    assert reference() == ("us-east-2", "env:AWS_DEFAULT_REGION", None)
    assert botocore_region() == "us-east-2"


def test_environment_beats_profile(no_region: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.config("default", region="eu-west-1")
    no_region.set(AWS_DEFAULT_REGION="us-east-2")
    assert reference()[:2] == ("us-east-2", "env:AWS_DEFAULT_REGION")
    assert botocore_region() == "us-east-2"


def test_profile_region(no_region: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.config("dev", region="eu-west-1")
    no_region.profile("dev")
    assert reference() == ("eu-west-1", "config-file:dev", None)
    assert botocore_region() == "eu-west-1"


def test_region_in_the_credentials_file_wins_over_the_config_file(no_region: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.config("default", region="eu-west-1")
    aws_files.write_raw("credentials", "[default]\nregion = ap-south-1\n")
    assert reference() == ("ap-south-1", "shared-credentials-file:default", None)
    assert botocore_region() == "ap-south-1"


def test_no_region_anywhere(no_region: AwsEnv) -> None:
    result = resolve()
    assert (result.scheme, result.error_kind, result.region) == (None, "no-region", None)
    assert result.error is not None and result.error.startswith("no region:")
    assert [s.outcome for s in result.trace if s.resolver == "EnvironmentCredentialsResolver"] == ["used"]
    assert botocore_region() == "NoRegionError"


def test_a_credential_error_is_reported_before_a_missing_region(aws_env: AwsEnv) -> None:
    aws_env.unset("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SECRET_ACCESS_KEY")
    aws_env.set(AWS_ACCESS_KEY_ID="AKIDPARTIAL")
    assert resolve().error_kind == "partial-credentials"


def test_empty_aws_default_region_falls_through_departure(no_region: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.config("default", region="eu-west-1")
    no_region.set(AWS_DEFAULT_REGION="")
    assert reference() == ("eu-west-1", "config-file:default", None)
    assert botocore_region() == "ValueError"  # "Invalid endpoint: https://bedrock-runtime..amazonaws.com"


@pytest.mark.parametrize("value", ["us east 1", "-us-east-1", "us_east_1"])
def test_a_name_that_is_no_region_is_an_error(no_region: AwsEnv, value: str) -> None:
    no_region.set(AWS_DEFAULT_REGION=value)
    assert reference()[2] == "invalid-config"
    assert botocore_region() == "InvalidRegionError"


def test_an_inline_comment_is_not_part_of_the_region_departure(no_region: AwsEnv, aws_files: AwsFiles) -> None:
    aws_files.write_raw("config", "[default]\nregion = eu-west-1 # ours\n")
    assert reference()[:2] == ("eu-west-1", "config-file:default")
    assert botocore_region() == "InvalidRegionError"  # configparser keeps '# ours' in the value


def test_the_trace_says_where_the_region_came_from(aws_env: AwsEnv) -> None:
    result = resolve()
    region = next(s for s in result.trace if s.resolver == "region")
    assert region.reason == "us-east-1 from AWS_REGION"
    assert "region us-east-1 from env:AWS_REGION" in result.explain()
