"""The fake AWS STS, one folder: ``model`` (roles, calls, what each issues), ``wire`` (the Query
protocol and XML replies) and ``server`` (:class:`FakeSts` on a socket).

The public names are importable from here (``from pytest_bedrock_creds.servers.sts import …``)."""

from pytest_bedrock_creds.servers.sts.server import (
    FakeSts,
    Role,
    StsRequest,
)

__all__ = ["FakeSts", "Role", "StsRequest"]
