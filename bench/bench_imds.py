"""botocore's instance-role credential fetch from FakeImds, beside moto's server-mode IMDS in the same run.

Each call is ``botocore.session.Session().get_credentials()`` with only the IMDS seam set
(PUT token, GET role list, GET role), the cost a test pays when code falls through to the
instance role. Prints medians (ms per fetch) and the ratio to moto; not a test. Loopback only.

    python bench/bench_imds.py [--calls 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import socket

import botocore.session
from _timing import median_ms

from pytest_bedrock_creds import AwsEnv, FakeImds


def _fetch() -> object:
    creds = botocore.session.Session().get_credentials()
    assert creds is not None and creds.method == "iam-role", "no instance-role credentials"
    return creds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    results: dict[str, float] = {}
    with AwsEnv() as env, FakeImds(ledger=env.ledger) as imds:
        imds.add_role("bench-role")
        env.attach(imds)
        results["FakeImds (IMDSv2 required, tokens checked)"] = median_ms(_fetch, args.calls, args.rounds)
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            print("moto[server] is not installed: no peer to compare with")
        else:
            port = _free_port()
            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            moto.start()
            try:
                env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{port}/")
                results["moto server mode (no token checks)"] = median_ms(_fetch, args.calls, args.rounds)
            finally:
                moto.stop()
    peer = results.get("moto server mode (no token checks)")
    print(f"botocore get_credentials() from IMDS, median of {args.rounds} rounds x {args.calls} fetches")
    for name, ms in results.items():
        ratio = f"{ms / peer:5.2f}x moto" if peer else ""
        print(f"  {name:<46} {ms:8.3f} ms   {ratio}")
    assert "AWS_EC2_METADATA_SERVICE_ENDPOINT" not in os.environ


if __name__ == "__main__":
    main()
