"""Comparing the process environment with a copy, in tests, without printing its values.

``assert dict(os.environ) == before`` explains a failure with both dictionaries, and a developer's
environment may hold real keys: :func:`changed_names` names what differs and shows no value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def changed_names(before: Mapping[str, str]) -> list[str]:
    """The variables added, removed or changed since ``before`` (names only), sorted."""
    now = dict(os.environ)
    return sorted(name for name in now.keys() | before.keys() if now.get(name) != before.get(name))
