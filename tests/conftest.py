"""This project's suite runs with the network guard on (``bedrock_network_guard = true`` in
pyproject.toml): nothing may leave loopback; ``tests/test_network_guard.py`` proves it."""

pytest_plugins = ["pytester"]
