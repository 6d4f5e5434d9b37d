"""``FakeSts``: AWS Security Token Service on loopback, for assume-role and web identity.

SDKs reach it through ``AWS_ENDPOINT_URL_STS`` (:meth:`FakeSts.env`; ``aws_env.attach(fake_sts)``
sets it). It serves ``AssumeRole``, ``AssumeRoleWithWebIdentity`` and ``GetCallerIdentity`` in the
Query protocol with XML replies, verifies each signed call's SigV4 (signing name ``sts``) against
the secret the ledger issued, accepts only web identity tokens the ledger issued, and issues
temporary credentials through the ledger (``assume-role:<role>`` / ``web-identity:<role>``) whose
``issuer`` is the caller's credentials or token: a later Bedrock request signed with them is
attributed with its whole lineage.

Why not moto's STS: moto accepts any signature and any token and issues keys the ledger never
sees, so it cannot say *which* credentials asked for a role. This fake is the shared loopback
base plus the rules in :mod:`.sts_model` and the wire format in :mod:`.sts_wire`.

Roles need no setup: any role in the ledger's account can be assumed with AWS's defaults
(one-hour sessions). :meth:`FakeSts.add_role` sets what a role demands (an external id, an
MFA device, a longer maximum session) or refuses it.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from pytest_bedrock_creds.ledger import IssuedCredentials, Ledger
from pytest_bedrock_creds.servers.base import HttpRequest, HttpResponse, LoopbackServer
from pytest_bedrock_creds.servers.bedrock.auth import UNSET, auth_problems
from pytest_bedrock_creds.servers.fault_methods import TransportFaults
from pytest_bedrock_creds.servers.faults import Faults, Reply, apply_faults, to_http_response
from pytest_bedrock_creds.servers.sts.model import Role, StsModel, StsRequest
from pytest_bedrock_creds.servers.sts.wire import ACTIONS, parameters

__all__ = ["FakeSts", "Role", "StsRequest"]

_TARGETS = (*ACTIONS, "any")
#: HTTP status AWS uses for each error code a test may inject.
_STATUS = {"AccessDenied": 403, "InvalidClientTokenId": 403, "SignatureDoesNotMatch": 403,
           "RegionDisabledException": 403}


class FakeSts(TransportFaults, LoopbackServer):
    """A fake STS on ``127.0.0.1`` (or ``::1``), port 0, plain HTTP.

    ::

        with FakeSts(ledger=ledger) as sts:
            os.environ.update(sts.env())            # AWS_ENDPOINT_URL_STS
            ...                                     # an assume-role profile, then a Bedrock call
            sts.assert_auth(action="AssumeRole", source="shared-credentials-file:base")
    """

    name = "fake STS"

    def __init__(self, *, ledger: Ledger | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self.model = StsModel(ledger if ledger is not None else Ledger())
        self.faults = Faults(_classify, _TARGETS)
        self._lock = threading.Lock()
        self._records: list[StsRequest] = []

    @property
    def ledger(self) -> Ledger:
        return self.model.ledger

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"FakeSts({where}, requests={len(self._records)}, issued={len(self.model.issued)})"

    def __enter__(self) -> FakeSts:
        self.start()
        return self

    # -- the SDK seam ------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """``AWS_ENDPOINT_URL_STS``: botocore's assume-role and web identity providers honour it."""
        return {"AWS_ENDPOINT_URL_STS": self.url}

    def role_arn(self, name: str) -> str:
        """``arn:aws:iam::<ledger account>:role/<name>``."""
        return f"arn:aws:iam::{self.ledger.account_id}:role/{name}"

    # -- behaviour ---------------------------------------------------------------------------
    def add_role(
        self,
        name: str,
        *,
        external_id: str | None = None,
        mfa_serial: str | None = None,
        max_session_duration: int = 3600,
        allow: bool = True,
    ) -> str:
        """Set what assuming ``name`` demands and return its ARN.

        ``external_id``: ``AssumeRole`` must send it. ``mfa_serial``: it must send this
        ``SerialNumber`` and a six-digit ``TokenCode``. ``max_session_duration``: the largest
        ``DurationSeconds`` (900-43200). ``allow=False``: every call gets ``AccessDenied``.
        """
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise ValueError(f"role name must be a non-empty string without '/', not {name!r}")
        if isinstance(max_session_duration, bool) or not 900 <= max_session_duration <= 43200:
            raise ValueError(f"max_session_duration must be 900-43200 seconds, not {max_session_duration!r}")
        self.model.add_role(Role(name, external_id, mfa_serial, max_session_duration, allow))
        return self.role_arn(name)

    @property
    def issued(self) -> tuple[IssuedCredentials, ...]:
        """Every credential this fake issued since the last :meth:`reset`."""
        return tuple(self.model.issued)

    # -- faults ------------------------------------------------------------------------------
    def fail(
        self, action: str, error: str, *, message: str | None = None, status: int | None = None, times: int | None = 1
    ) -> None:
        """Answer the next ``times`` calls of ``action`` (or ``"any"``) with AWS error ``error``
        (``"AccessDenied"``, ``"ExpiredToken"``, ``"RegionDisabledException"`` …) in STS's XML
        shape, after the caller's signature was checked. ``times=None``: until :meth:`reset`."""
        if action not in _TARGETS:
            raise ValueError(f"action must be one of {', '.join(repr(t) for t in _TARGETS)}, not {action!r}")
        if not isinstance(error, str) or not error.strip():
            raise ValueError(f"error must be an AWS error code such as 'AccessDenied', not {error!r}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a positive int or None (every call), not {times!r}")
        code_status = status or _STATUS.get(error, 400)
        self.model.inject(action, error, message or f"{error} (injected by FakeSts)", code_status, times)

    def fail_status(self, target: str = "any", *, status: int = 500, times: int | None = None) -> None:
        """Answer HTTP ``status`` (no AWS error document) on ``target``: an action or ``"any"``."""
        self.faults.add("status", target, status=status, times=times)

    def malformed_xml(self, *, target: str = "any", times: int | None = None) -> None:
        """Answer 200 with the XML cut in half."""
        self.faults.add("malformed", target, times=times)

    # -- inspection ------------------------------------------------------------------------------
    @property
    def requests(self) -> tuple[StsRequest, ...]:
        with self._lock:
            return tuple(self._records)

    def assert_auth(
        self,
        *,
        action: str | None = "AssumeRole",
        source: str | None = UNSET,
        via: str | tuple[str, ...] = UNSET,
        signature_valid: bool | None = UNSET,
        role: str | None = None,
        every: bool = False,
    ) -> StsRequest:
        """Assert who signed the last call of ``action`` (for role ``role``, when given).

        ``source``/``via``: the signing credentials' ledger source and the rest of their lineage,
        as in ``FakeBedrock.assert_auth``. ``every=True`` checks every matching call.
        """
        calls = [r for r in self.requests
                 if (action is None or r.action == action) and (role is None or r.role_name == role)]
        if not calls:
            seen = ", ".join(repr(r) for r in self.requests) or "none"
            raise AssertionError(f"FakeSts received no {action or ''} call{f' for role {role!r}' if role else ''} "
                                 f"(calls seen: {seen})")
        for call in calls if every else calls[-1:]:
            problems = auth_problems(call.auth, source=source, via=via, signature_valid=signature_valid)
            if problems:
                raise AssertionError(f"FakeSts: {call!r}: " + "; ".join(problems))
        return calls[-1]

    def reset(self) -> None:
        """Forget roles, injected errors, faults, records, issued credentials and server errors."""
        self.model.reset()
        self.faults.clear()
        with self._lock:
            self._records.clear()
        with self._errors_lock:
            self._errors.clear()

    # -- the wire ------------------------------------------------------------------------------
    def handle(self, request: HttpRequest) -> HttpResponse:
        params = parameters(request.query, request.body, request.header("Content-Type"))
        action = params.get("Action")
        # Faults are keyed by action: STS serves every action on one path.
        keyed = replace(request, raw_path="/" + (action or ""))
        record: list[StsRequest] = []

        def answer() -> Reply:
            reply, rec = self.model.answer(request, action, params)
            record.append(rec)
            return reply

        reply, fault = apply_faults(self.faults.take(keyed), answer)
        rec = record[0] if record else StsRequest(action=action, method=request.method, status=None)
        status = None if reply.hang or reply.reset else reply.status
        with self._lock:
            self._records.append(replace(rec, status=status, fault=fault))
        return to_http_response(reply)


def _classify(method: str, path: str) -> str | None:
    action = path.strip("/")
    return action if action in ACTIONS else None
