"""Variables that keep clients from fetching data off the machine by themselves.

litellm downloads its model cost map when it is imported, and its Anthropic beta-header list on
a first request that needs it, unless told not to with these documented switches. ``AwsEnv``
sets them on entry; the plugin sets them for the whole session where they are unset (a litellm
imported while tests are collected). A module of its own so the plugin can read it at start-up
without loading anything else.
"""

from __future__ import annotations

__all__ = ["OFFLINE_SWITCHES"]

OFFLINE_SWITCHES = {
    "LITELLM_OFFLINE_MODE": "true",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
}
