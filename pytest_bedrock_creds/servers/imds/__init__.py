"""The fake EC2 Instance Metadata Service, one folder: ``model`` (the rules, no sockets),
``responses`` (the replies) and ``server`` (:class:`FakeImds`, the rules on a socket).

The public names are importable from here (``from pytest_bedrock_creds.servers.imds import …``)."""

from pytest_bedrock_creds.servers.imds.server import (
    HANG_SECONDS,
    FakeImds,
    ImdsControls,
    ImdsRequest,
    to_http_response,
)

__all__ = ["HANG_SECONDS", "FakeImds", "ImdsControls", "ImdsRequest", "to_http_response"]
