"""pytest-bedrock-creds: prove which credentials your Amazon Bedrock code really uses.

The core works without pytest: ``AwsEnv``, ``AwsFiles``, the ledger, the fakes and the
reference chain are plain classes. ``pytest_bedrock_creds.plugin`` wires them into pytest.

The names below load on first use (``from pytest_bedrock_creds import AwsEnv`` imports only
what ``AwsEnv`` needs), so the plugin costs nothing in a test run that does not use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_bedrock_creds.env import AwsEnv
    from pytest_bedrock_creds.files import AwsFiles
    from pytest_bedrock_creds.ledger import IssuedCredentials, IssuedToken, Ledger
    from pytest_bedrock_creds.servers.bedrock import AuthRecord, BedrockRequest, FakeBedrock, StreamException
    from pytest_bedrock_creds.servers.container import ContainerRequest, FakeContainerCredentials
    from pytest_bedrock_creds.servers.imds import FakeImds
    from pytest_bedrock_creds.servers.imds.model import ImdsRequest
    from pytest_bedrock_creds.servers.sso import FakeSsoPortal, SsoRequest
    from pytest_bedrock_creds.servers.sts import FakeSts, StsRequest
    from pytest_bedrock_creds.vclock import VirtualClock, virtual_clock

#: Where each public name lives.
_EXPORTS = {
    "AuthRecord": "pytest_bedrock_creds.servers.bedrock",
    "AwsEnv": "pytest_bedrock_creds.env",
    "AwsFiles": "pytest_bedrock_creds.files",
    "BedrockRequest": "pytest_bedrock_creds.servers.bedrock",
    "ContainerRequest": "pytest_bedrock_creds.servers.container",
    "FakeBedrock": "pytest_bedrock_creds.servers.bedrock",
    "FakeContainerCredentials": "pytest_bedrock_creds.servers.container",
    "FakeImds": "pytest_bedrock_creds.servers.imds",
    "FakeSsoPortal": "pytest_bedrock_creds.servers.sso",
    "FakeSts": "pytest_bedrock_creds.servers.sts",
    "ImdsRequest": "pytest_bedrock_creds.servers.imds.model",
    "IssuedCredentials": "pytest_bedrock_creds.ledger",
    "IssuedToken": "pytest_bedrock_creds.ledger",
    "Ledger": "pytest_bedrock_creds.ledger",
    "SsoRequest": "pytest_bedrock_creds.servers.sso",
    "StreamException": "pytest_bedrock_creds.servers.bedrock",
    "StsRequest": "pytest_bedrock_creds.servers.sts",
    "VirtualClock": "pytest_bedrock_creds.vclock",
    "virtual_clock": "pytest_bedrock_creds.vclock",
}

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
    "VirtualClock",
    "virtual_clock",
]

__version__ = "0.1.0"

#: ``pytest_plugins = ["pytest_bedrock_creds"]`` in a conftest loads the plugin module (a list of
#: names read by pytest, not an import of it: the core still works without pytest).
pytest_plugins = ["pytest_bedrock_creds.plugin"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
