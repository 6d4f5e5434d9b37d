"""pytest-bedrock-creds: prove which credentials your Amazon Bedrock code really uses.

The core works without pytest: ``AwsEnv``, ``AwsFiles``, the ledger, the fakes and the
reference chain are plain classes. ``pytest_bedrock_creds.plugin`` wires them into pytest.
"""

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.files import AwsFiles
from pytest_bedrock_creds.ledger import IssuedCredentials, IssuedToken, Ledger
from pytest_bedrock_creds.servers.bedrock import AuthRecord, BedrockRequest, FakeBedrock, StreamException
from pytest_bedrock_creds.servers.container import ContainerRequest, FakeContainerCredentials
from pytest_bedrock_creds.servers.imds import FakeImds
from pytest_bedrock_creds.servers.imds_model import ImdsRequest
from pytest_bedrock_creds.servers.sso import FakeSsoPortal, SsoRequest
from pytest_bedrock_creds.servers.sts import FakeSts, StsRequest

__all__ = [
    "AuthRecord",
    "AwsEnv",
    "AwsFiles",
    "BedrockRequest",
    "ContainerRequest",
    "FakeBedrock",
    "FakeContainerCredentials",
    "FakeImds",
    "FakeSsoPortal",
    "FakeSts",
    "ImdsRequest",
    "IssuedCredentials",
    "IssuedToken",
    "Ledger",
    "SsoRequest",
    "StreamException",
    "StsRequest",
]

__version__ = "0.1.0"

#: ``pytest_plugins = ["pytest_bedrock_creds"]`` in a conftest loads the plugin module (a list of
#: names read by pytest, not an import of it: the core still works without pytest).
pytest_plugins = ["pytest_bedrock_creds.plugin"]
