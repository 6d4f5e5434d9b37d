"""``FakeImds``: a loopback HTTP server that behaves like the EC2 Instance Metadata Service.

The rules live in :class:`~pytest_bedrock_creds.servers.imds.model.ImdsModel`; this module
only puts them on a socket. Reach it from an SDK through its documented seam::

    with FakeImds() as imds:
        creds = imds.add_role("app-role")
        os.environ.update(imds.env())   # AWS_EC2_METADATA_SERVICE_ENDPOINT
        ...
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer, ServerError
from pytest_bedrock_creds.servers.expiry import DEFAULT_LIFETIME
from pytest_bedrock_creds.servers.faults import HANG_SECONDS, to_http_response
from pytest_bedrock_creds.servers.imds.model import DEFAULT_ROTATION, ImdsModel, ImdsRequest

# HANG_SECONDS and to_http_response live in faults.py; they stay importable from here.
__all__ = ["HANG_SECONDS", "FakeImds", "ImdsControls", "ImdsRequest", "to_http_response"]


class ImdsControls:
    """The face shared by :class:`FakeImds` and the socketless ``ResponsesImds``: every
    call is delegated to one :class:`~pytest_bedrock_creds.servers.imds.model.ImdsModel`."""

    model: ImdsModel
    _errors: list[ServerError]
    _errors_lock: threading.Lock

    @property
    def ledger(self) -> Ledger:
        return self.model.ledger

    # -- behaviour ----------------------------------------------------------------------
    @property
    def v1_enabled(self) -> bool:
        """``False`` (default): IMDSv2 required. ``True``: requests without a token are served."""
        return self.model.v1_enabled

    @v1_enabled.setter
    def v1_enabled(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise ValueError(f"v1_enabled must be True or False, not {value!r}")
        self.model.v1_enabled = value

    @property
    def extended_api(self) -> bool:
        """Serve ``iam/security-credentials-extended/`` (with ``AccountId``); 404 when ``False``."""
        return self.model.extended_api

    @extended_api.setter
    def extended_api(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise ValueError(f"extended_api must be True or False, not {value!r}")
        self.model.extended_api = value

    def add_role(
        self,
        name: str,
        *,
        lifetime: timedelta = DEFAULT_LIFETIME,
        expiration: datetime | None = None,
        expired: bool = False,
        rotate_every: timedelta | None = DEFAULT_ROTATION,
        unauthorized: bool = False,
    ) -> IssuedCredentials:
        """Attach role ``name`` and issue its credentials (source ``imds:<name>``).

        ``lifetime``: validity from now (6 h, like real IMDS). ``expiration``: a fixed
        expiry instead (timezone-aware). ``expired=True``: credentials that expired an hour
        ago. ``rotate_every``: new credentials are served once this much fake time has passed
        (hourly, like real IMDS; off for ``expiration``/``expired``). ``unauthorized=True``:
        serve the ``AssumeRoleUnauthorizedAccess`` error document (HTTP 200) instead.
        """
        return self.model.add_role(
            name,
            lifetime=lifetime,
            expiration=expiration,
            expired=expired,
            rotate_every=rotate_every,
            unauthorized=unauthorized,
        )

    def rotate(self, name: str) -> IssuedCredentials:
        """Issue and serve new credentials for ``name`` now."""
        return self.model.rotate(name)

    def credentials(self, name: str) -> IssuedCredentials:
        """The credentials role ``name`` serves now."""
        return self.model.credentials(name)

    # -- faults ---------------------------------------------------------------------------
    def fail(self, target: str, *, status: int = 500, times: int | None = None) -> None:
        """Answer ``status`` on ``target``: ``"token"``, ``"role-list"``, ``"credentials"``,
        ``"any"`` or a path. ``times=None`` means every matching request until :meth:`reset`."""
        self.model.faults.add("status", target, status=status, times=times)

    def delay(self, seconds: float, *, target: str = "any", times: int | None = None) -> None:
        """Wait ``seconds`` (real time) before answering requests on ``target``."""
        self.model.faults.add("delay", target, seconds=seconds, times=times)

    def hang(self, *, target: str = "token", times: int | None = None) -> None:
        """Never answer (the hop-limit case: the PUT response never arrives)."""
        self.model.faults.add("hang", target, times=times)

    def malformed_json(self, *, target: str = "credentials", times: int | None = None) -> None:
        """Answer 200 with the body cut in half (invalid JSON for documents)."""
        self.model.faults.add("malformed", target, times=times)

    def reset_connection(self, *, target: str = "any", times: int | None = None) -> None:
        """Close the connection with a TCP reset instead of answering."""
        self.model.faults.add("reset", target, times=times)

    # -- inspection -----------------------------------------------------------------------
    @property
    def requests(self) -> tuple[ImdsRequest, ...]:
        return self.model.requests

    def reset(self) -> None:
        """Forget roles, tokens, faults, records and errors; IMDSv2 required again."""
        self.model.reset()
        with self._errors_lock:
            self._errors.clear()


class FakeImds(ImdsControls, LoopbackServer):
    """A fake IMDS on ``127.0.0.1`` (or ``::1``), port 0. IMDSv2 is required by default.

    Credentials come from the :class:`~pytest_bedrock_creds.ledger.Ledger`, source
    ``imds:<role>``, so a request signed with them can be attributed to this fake.
    """

    name = "fake IMDS"

    def __init__(self, *, ledger: Ledger | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self.model = ImdsModel(ledger)

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"FakeImds({where}, roles={list(self.model.roles)}, v1_enabled={self.v1_enabled})"

    def __enter__(self) -> FakeImds:
        self.start()
        return self

    # -- the SDK seam -------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """Variables that point botocore and aws-credentials-imds at this fake."""
        return {"AWS_EC2_METADATA_SERVICE_ENDPOINT": self.url + "/"}

    def handle(self, request: HttpRequest) -> HttpResponse:
        return to_http_response(self.model.handle(request))
