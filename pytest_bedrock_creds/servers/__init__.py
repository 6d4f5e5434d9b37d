"""The loopback fakes, one folder each (``bedrock``, ``imds``, ``container``, ``sts``, ``sso``), each
holding its model, its wire format and its server, over what they share here: ``base`` (the
loopback HTTP(S) server), ``tls`` (the per-run certificate authority), ``sigv4`` (signature
verification with botocore's signer), ``faults`` and ``fault_methods`` (injected failures) and
``expiry`` (credential lifetimes)."""
