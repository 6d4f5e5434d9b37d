"""The example project's tests import ``summarize`` from this directory (pytest's default
``prepend`` import mode puts a conftest's directory on ``sys.path``)."""
