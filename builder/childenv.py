"""The environment a child process gets (ffmpeg, the RTMP publisher, redis-server, nvidia-smi):
ours less every secret the studio knows of, less any variable whose value holds one, less the
connection URLs (they may carry a database or Redis password). Children have no use for any of
them, and a child's environment is readable in /proc by its user and ends up in crash reports.

Plain Python with no Django import, so the engines (and `bench/gpu_check.sh`, which runs without
Django) can use it; which studio process holds which secret is `aijesus/processes.py`'s table.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

SECRET_KEY = "SECRET_KEY"
TOKEN_ENCRYPTION_KEY = "TOKEN_ENCRYPTION_KEY"
STREAM_KEY = "STREAM_KEY"
LLM_API_KEY = "LLM_API_KEY"
CHAT_CHECK_API_KEY = "CHAT_CHECK_API_KEY"
TWITCH_CLIENT_SECRET = "TWITCH_CLIENT_SECRET"
# The media store's key, or boto3's own chain when the studio's is empty (docs/deploy.md).
STORE_KEYS = (
    "MEDIA_S3_ACCESS_KEY_ID",
    "MEDIA_S3_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
SECRETS = (
    SECRET_KEY,
    TOKEN_ENCRYPTION_KEY,
    STREAM_KEY,
    LLM_API_KEY,
    CHAT_CHECK_API_KEY,
    TWITCH_CLIENT_SECRET,
    *STORE_KEYS,
)
# Not secrets themselves, but no child needs them: connection URLs, and where `manage.py studio`
# leaves the processes' secrets.
_NOT_FOR_CHILDREN = ("DATABASE_URL", "REDIS_URL", "STUDIO_SECRETS_DIR")


def variables(name: str) -> tuple[str, str]:
    """The variables that may give secret `name`: itself, and `<name>_FILE` (aijesus/env.py)."""
    return name, f"{name}_FILE"


def is_secret_variable(name: str) -> bool:
    return any(name in variables(secret) for secret in SECRETS)


def child_env(also: Iterable[str] = (), env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: ours) for a child. `also`: secrets this process holds outside the
    environment (a key read from a `_FILE`); a variable whose value contains one is dropped too."""
    env = os.environ if env is None else env
    values = [value for name in SECRETS if (value := env.get(name))] + [value for value in also if value]
    return {
        name: value
        for name, value in env.items()
        if not is_secret_variable(name)
        and name not in _NOT_FOR_CHILDREN
        and not any(secret in value for secret in values)
    }
