"""The reference chain's own request: it signs with what it resolved and sends it to FakeBedrock.

A label is not an identity. The reference target therefore does what a client does with the
credentials the chain holds: a SigV4 signature made with botocore's signer (or an
``Authorization: Bearer`` header), sent over HTTPS to the fake, which attributes and verifies
it exactly as it does for the real clients. A key id holding a comment, or a secret holding a
line break, shows up as an unknown key or an invalid signature instead of a passing label.
"""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING

from pytest_bedrock_creds.chain.model import Resolution
from pytest_bedrock_creds.scenarios.operations import http_request

if TYPE_CHECKING:
    from pytest_bedrock_creds.servers.bedrock import FakeBedrock

__all__ = ["SIGNING_SERVICE", "send_as_reference"]

#: Bedrock Runtime's SigV4 signing name (the model's ``signingName``).
SIGNING_SERVICE = "bedrock"


def send_as_reference(resolution: Resolution, fake: FakeBedrock, region: str) -> str | None:
    """Send ``resolution.operation`` to ``fake`` with the resolution's identity.

    Returns ``None`` when the request was sent, else why it could not be (a value no HTTP
    client can put in a header, for example); the fake's record holds the verdict.
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    method, path, body, content_type = http_request(resolution.operation)
    request = AWSRequest(method=method, url=fake.url + path, data=body, headers={"Content-Type": content_type})
    try:
        if resolution.scheme == "bearer":
            request.headers["Authorization"] = f"Bearer {resolution.token or ''}"
        else:
            credentials = Credentials(resolution.access_key_id or "", resolution.secret_access_key or "",
                                      resolution.session_token)
            SigV4Auth(credentials, SIGNING_SERVICE, region).add_auth(request)
        prepared = request.prepare()
        host, _, port = fake.url.removeprefix("https://").rpartition(":")
        connection = http.client.HTTPSConnection(host, int(port), timeout=10, context=fake.client_ssl_context())
        try:
            connection.request(method, path, body=body, headers=dict(prepared.headers.items()))
            connection.getresponse().read()
        finally:
            connection.close()
    except (ValueError, UnicodeError) as exc:  # its message may quote the value: a secret
        return f"{type(exc).__name__}: a credential value cannot be sent in an HTTP header"
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
