"""pytest-bedrock-creds: prove which credentials your Amazon Bedrock code really uses.

The core works without pytest: ``AwsEnv``, ``AwsFiles``, the ledger, the fakes and the
reference chain are plain classes. ``pytest_bedrock_creds.plugin`` wires them into pytest.
"""

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.files import AwsFiles
from pytest_bedrock_creds.ledger import IssuedCredentials, IssuedToken, Ledger

__all__ = [
    "AwsEnv",
    "AwsFiles",
    "IssuedCredentials",
    "IssuedToken",
    "Ledger",
]

__version__ = "0.1.0"
