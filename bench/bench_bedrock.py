"""Per-call latency of boto3 against FakeBedrock, beside moto's bedrock-runtime in the same run.

Prints medians (ms per call) and the ratio to moto; not a test. Bounded loops; loopback only.

    PYTHONPATH=. python bench/bench_bedrock.py [--calls 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import logging

import boto3
from _timing import median_ms
from botocore.config import Config

from pytest_bedrock_creds.env import AwsEnv
from pytest_bedrock_creds.ledger import Ledger
from pytest_bedrock_creds.servers.bedrock import FakeBedrock

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "messages": []})
CONFIG = Config(retries={"total_max_attempts": 1})




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    calls, rounds = max(1, min(args.calls, 5000)), max(1, min(args.rounds, 50))
    results: dict[str, float] = {}
    ledger = Ledger()
    with AwsEnv(ledger=ledger) as env, FakeBedrock(ledger=ledger) as fake:
        env.static_keys()
        https = boto3.client("bedrock-runtime", endpoint_url=fake.url, verify=fake.ca_bundle, config=CONFIG)
        http = boto3.client("bedrock-runtime", endpoint_url=fake.http_url, config=CONFIG)
        results["FakeBedrock https converse (SigV4 verified)"] = median_ms(
            lambda: https.converse(modelId=MODEL, messages=MESSAGES), calls, rounds
        )
        results["FakeBedrock http converse (SigV4 verified)"] = median_ms(
            lambda: http.converse(modelId=MODEL, messages=MESSAGES), calls, rounds
        )
        results["FakeBedrock http invoke_model (SigV4 verified)"] = median_ms(
            lambda: http.invoke_model(modelId=MODEL, body=BODY)["body"].read(), calls, rounds
        )
        assert all(r.auth.signature_valid for r in fake.requests), "a benchmark request failed verification"
        fake.reset()

    from moto import mock_aws
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    with AwsEnv(ledger=ledger) as env:
        env.set(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            moto_client = boto3.client("bedrock-runtime", endpoint_url=f"http://{host}:{port}", config=CONFIG)
            results["moto server invoke_model"] = median_ms(
                lambda: moto_client.invoke_model(modelId=MODEL, body=BODY)["body"].read(), calls, rounds
            )
        finally:
            server.stop()
        with mock_aws():
            mocked = boto3.client("bedrock-runtime", config=CONFIG)
            results["moto mock_aws invoke_model (in-process)"] = median_ms(
                lambda: mocked.invoke_model(modelId=MODEL, body=BODY)["body"].read(), calls, rounds
            )

    peer = results["moto server invoke_model"]
    width = max(len(k) for k in results)
    print(f"boto3 per-call latency, median of {rounds} rounds x {calls} calls (lower is better)")
    for name, ms in results.items():
        print(f"  {name:<{width}}  {ms:8.3f} ms   {ms / peer:5.2f}x moto server")


if __name__ == "__main__":
    main()
