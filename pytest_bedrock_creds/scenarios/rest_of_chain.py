"""The rest of the chain in a scenario's world: what the fakes are told, and what is written for the SDKs.

* :func:`arm_rest_of_chain`: FakeSts's roles and faults, FakeSsoPortal's denials and faults.
* :class:`ChainPlaceholders`: the values of ``{account-id}``, ``{role-arn:<role>}``,
  ``{web-identity-token:<role>}`` / ``{expired-web-identity-token:<role>}`` (a token file the
  ledger issued, written in the temporary home), ``{process:<name>}`` (the command line of a
  script that prints what ``processes.<name>`` says) and ``{login-session:<profile>}``; and the
  caches the ``sso`` and ``login`` blocks describe (:meth:`ChainPlaceholders.write_caches`).

Every credential and token comes from the ledger, so whatever a client buys with them is
attributed with its lineage; every secret is added to the set the runner redacts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pytest_bedrock_creds import process, sso_cache
from pytest_bedrock_creds.chain.locations import expand_path
from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import IssuedCredentials
from pytest_bedrock_creds.login_cache import write_login_cache
from pytest_bedrock_creds.scenarios.fault_specs import apply_fault
from pytest_bedrock_creds.scenarios.schema import CHAIN_PLACEHOLDER, ProcessSpec, Scenario, SsoSpec, StsSpec
from pytest_bedrock_creds.servers.sso import FakeSsoPortal
from pytest_bedrock_creds.servers.sts import FakeSts
from pytest_bedrock_creds.web_identity import write_token_file

__all__ = ["ChainPlaceholders", "arm_rest_of_chain"]

_SSO_START_URL = "https://bedrock-creds.awsapps.com/start"


def arm_rest_of_chain(scenario: Scenario, sts: FakeSts | None, sso: FakeSsoPortal | None) -> None:
    """Reset both fakes and give them the scenario's roles, denials and faults."""
    if sts is not None:
        sts.reset()
        if scenario.sts is not None:
            _arm_sts(sts, scenario.sts)
    if sso is not None:
        sso.reset()
        if scenario.sso is not None:
            _arm_sso(sso, scenario.sso)


def _arm_sts(sts: FakeSts, spec: StsSpec) -> None:
    for name, role in spec.roles.items():
        sts.add_role(name, external_id=role.get("external_id"),
                     max_session_duration=role.get("max_session_duration", 3600), allow=role.get("allow", True))
    for fault in spec.faults:
        kind, target, times = fault["kind"], fault.get("target", "any"), fault.get("times")
        if kind == "error":
            sts.fail(target, fault["code"], status=fault.get("status"), times=times)
        elif kind == "fail":
            sts.fail_status(target, status=fault.get("status", 500), times=times)
        elif kind == "delay":
            sts.delay(float(fault.get("seconds", 1.0)), target=target, times=times)
        elif kind == "malformed_xml":
            sts.malformed_xml(target=target, times=times)
        else:
            sts.reset_connection(target=target, times=times)


def _arm_sso(sso: FakeSsoPortal, spec: SsoSpec) -> None:
    for role in spec.deny:
        sso.deny(role)
    for fault in spec.faults:
        apply_fault(sso, {"seconds": 1.0, **fault}, default_target="credentials")


class ChainPlaceholders:
    """Values for the rest-of-chain placeholders, written on first use and then reused."""

    def __init__(self, scenario: Scenario, env: AwsEnv, substitute: Callable[[str], str], secrets: set[str]) -> None:
        self.scenario, self.env, self.ledger = scenario, env, env.ledger
        self.substitute, self.secrets = substitute, secrets
        self._values: dict[tuple[str, str | None], str] = {}

    def replace(self, text: str) -> str:
        return CHAIN_PLACEHOLDER.sub(lambda m: self.value(m.group(1), m.group(2)), text)

    def value(self, kind: str, name: str | None) -> str:
        key = (kind, name)
        if key not in self._values:
            self._values[key] = self._make(kind, name)
        return self._values[key]

    def _make(self, kind: str, name: str | None) -> str:
        account = self.ledger.account_id
        if kind == "account-id":
            return account
        assert name is not None
        if kind == "role-arn":
            return f"arn:aws:iam::{account}:role/{name}"
        if kind in ("web-identity-token", "expired-web-identity-token"):
            path, token = write_token_file(self.ledger, self.env.home / "web-identity",
                                           f"arn:aws:iam::{account}:role/{name}",
                                           expired=kind.startswith("expired"))
            self.secrets.add(token.token)
            return str(path)
        if kind == "process":
            return self._process(name, self.scenario.processes.get(name, ProcessSpec()))
        return self.login_session(name)

    def login_session(self, profile: str) -> str:
        spec = self.scenario.login.get(profile)
        given = None if spec is None else spec.session
        return self.substitute(given) if given else f"arn:aws:iam::{self.ledger.account_id}:user/{profile}"

    def _process(self, name: str, spec: ProcessSpec) -> str:
        if spec.output is not None:
            output = self.substitute(spec.output)
        else:
            output = process.document(self._issue(f"process:{name}", spec.credentials))
        return process.write_script(self.env.home / "credential-process", name, output, exit_code=spec.exit_code)

    def _issue(self, source: str, mode: str) -> IssuedCredentials:
        if mode == "issued-long-term":
            creds = self.ledger.issue_credentials(source)
        else:
            creds = self.ledger.issue_credentials(source, temporary=True,
                                                  expiration=process.expiration(mode == "expired"))
        self.secrets.add(creds.secret_access_key)
        if creds.session_token:
            self.secrets.add(creds.session_token)
        return creds

    # -- caches --------------------------------------------------------------------------------
    def write_caches(self) -> None:
        """The SSO token cache and the login caches the scenario describes (after its variables are set)."""
        scenario = self.scenario
        if scenario.sso is not None:
            for profile, spec in scenario.sso.tokens.items():
                self._sso_token(profile, spec)
        for profile, login in scenario.login.items():
            if login.cache == "none":
                continue
            creds = self._issue(f"login:{profile}", "expired" if login.cache == "expired" else "issued")
            omit = ("refreshToken",) if login.cache == "no-refresh-token" else ()
            write_login_cache(self.env.home, self.login_session(profile), creds, directory=_login_directory(),
                              omit=omit)

    def _sso_token(self, profile: str, spec: dict[str, Any]) -> None:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        lifetime = timedelta(hours=-1) if spec.get("expired") else timedelta(hours=8)
        token = self.ledger.issue_token(f"sso:{profile}", expiration=now + lifetime)
        self.secrets.add(token.token)
        start_url = self.substitute(spec["start_url"]) if "start_url" in spec else _SSO_START_URL
        cache_name = start_url if "start_url" in spec else self.substitute(spec.get("session", profile))
        sso_cache.write_token(self.env.home, cache_name, token, start_url=start_url, region="us-east-1")


def _login_directory() -> Path | None:
    raw = os.environ.get("AWS_LOGIN_CACHE_DIRECTORY")
    return Path(expand_path(raw, os.environ)) if raw and raw.strip() else None
