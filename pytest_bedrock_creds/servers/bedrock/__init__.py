"""The fake Bedrock Runtime, one folder: ``server`` (:class:`FakeBedrock`, its listeners and
recording), ``ops`` (the operations it serves and their input checks), ``replies`` (the reply
bodies), ``eventstream`` (the stream framing), ``auth`` (bearer or SigV4, attributed through the
ledger), ``records`` (:class:`BedrockRequest`, :class:`AuthRecord`) and ``useragent`` (the
credential source botocore reports in its User-Agent).

The public names are importable from here (``from pytest_bedrock_creds.servers.bedrock import …``)."""

from pytest_bedrock_creds.servers.bedrock.server import (
    AuthRecord,
    BedrockRequest,
    FakeBedrock,
    StreamException,
    VerifyMode,
)

__all__ = ["AuthRecord", "BedrockRequest", "FakeBedrock", "StreamException", "VerifyMode"]
