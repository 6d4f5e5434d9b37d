"""The fake ECS / EKS Pod Identity container-credentials endpoint (``server``).

The public names are importable from here (``from pytest_bedrock_creds.servers.container import …``)."""

from pytest_bedrock_creds.servers.container.server import (
    CONTAINER_TARGETS,
    ContainerRequest,
    FakeContainerCredentials,
    Flavour,
)

__all__ = ["CONTAINER_TARGETS", "ContainerRequest", "FakeContainerCredentials", "Flavour"]
