"""A per-run certificate authority for the HTTPS fakes.

:class:`LoopbackTls` makes a fresh CA with trustme, issues a server certificate for
``127.0.0.1``, ``::1`` and ``localhost``, and exposes what each side needs: an
:class:`ssl.SSLContext` for the server and a CA PEM file for the clients
(``AWS_CA_BUNDLE``, ``verify=``, ``SSL_CERT_FILE``).
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import trustme

from pytest_bedrock_creds.tempfiles import make_private_dir, remove_private_dir

__all__ = ["LoopbackTls"]


class LoopbackTls:
    """A throwaway CA plus a loopback server certificate.

    The CA PEM is written to a private temporary directory, removed by :meth:`cleanup` (or,
    if the process ends first, at exit or on SIGTERM: :mod:`pytest_bedrock_creds.tempfiles`).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._ca = trustme.CA(organization_name="pytest-bedrock-creds test CA")
        self._cert = self._ca.issue_cert("127.0.0.1", "::1", "localhost")
        self._owned_dir = directory is None
        self.directory = Path(directory) if directory is not None else make_private_dir("bedrock-tls-")
        self.ca_bundle = str(self.directory / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_bundle)

    def server_context(self) -> ssl.SSLContext:
        """A server-side context holding the loopback certificate (TLS 1.2 or newer)."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self._cert.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client-side context that trusts only this run's CA."""
        return ssl.create_default_context(cafile=self.ca_bundle)

    @property
    def ca_pem(self) -> bytes:
        return self._ca.cert_pem.bytes()

    def cleanup(self) -> None:
        if self._owned_dir:
            remove_private_dir(self.directory)

    def __repr__(self) -> str:
        return f"LoopbackTls(ca_bundle={self.ca_bundle!r})"
