"""The core works in a plain script, with pytest impossible to import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys

    class BlockPytest:
        def find_spec(self, name, path=None, target=None):
            if name == "pytest" or name.startswith(("_pytest", "pytest.")):
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, BlockPytest())

    import pytest_bedrock_creds
    from pytest_bedrock_creds import AwsEnv, AwsFiles
    from pytest_bedrock_creds.chain import ServiceSettings, resolve

    with AwsEnv() as env:
        files = AwsFiles(env)
        issued = files.credentials("dev")
        env.profile("dev")
        result = resolve()
        assert (result.scheme, result.source) == ("sigv4", "shared-credentials-file:dev"), result.explain()
        assert result.access_key_id == issued.access_key_id
        token = env.bearer_token()
        assert resolve().source == "bearer:env"
        assert resolve(settings=ServiceSettings(profile="dev")).scheme == "bearer"
    assert not any(m == "pytest" or m.startswith("_pytest") for m in sys.modules), "pytest was imported"
    try:
        import pytest  # noqa: F401
    except ImportError:
        print("OK without pytest")
    """
)


def test_core_works_with_pytest_blocked() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "OK without pytest"
