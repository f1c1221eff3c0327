"""Which process of the studio holds which secret, and the launcher that makes it so.

Every process `make run` starts (the Procfile) and every compose service runs through

    python -m aijesus.processes ROLE -- COMMAND...

which starts COMMAND with the secrets of ROLE only (table `ROLES`) and execs it. A process that
does not sign anything gets a random SECRET_KEY of its own: Django needs a value, and a random one
makes any signature it did make unreadable elsewhere instead of quietly valid.

Where the secrets come from:

- under `manage.py studio` (`make run`) the runner honcho holds none. The studio writes each
  role's secrets into a file of its own (mode 0600, in a 0700 folder, `STUDIO_SECRETS_DIR`); the
  launcher reads that file, deletes it and execs, so a secret waits on disk only until its process
  has started;
- otherwise (compose, a terminal) the launcher keeps, of its own environment, what ROLE may hold.

Children (ffmpeg, the publisher, redis-server, nvidia-smi) get `child_env()` (builder/childenv.py):
no secret at all. This module imports no Django, so the launcher starts fast.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NoReturn

from builder.childenv import (
    CHAT_CHECK_API_KEY,
    LLM_API_KEY,
    SECRET_KEY,
    SECRETS,
    STORE_KEYS,
    STREAM_KEY,
    TOKEN_ENCRYPTION_KEY,
    TWITCH_CLIENT_SECRET,
    child_env,
    is_secret_variable,
    variables,
)

__all__ = ["ROLES", "SECRETS", "child_env", "configured", "main", "role_env", "secrets_for", "withheld"]

# Why each is where it is (docs/security.md, "What each secret reaches"):
# - SECRET_KEY signs sessions, CSRF and messages: the web alone. `setup` re-seals tokens sealed with
#   the key derived from it before TOKEN_ENCRYPTION_KEY existed.
# - TOKEN_ENCRYPTION_KEY opens Twitch tokens and per-persona keys: the web (connecting Twitch, the
#   playground and System test of a persona with its own key), the chat reader (reading as the
#   bot) and the build worker at home (answering a persona with its own key). A rented GPU machine
#   is not given it (docs/deploy.md): such a persona's builds then fail there, saying why.
# - LLM_API_KEY: the web (playground, System page test) and the build worker (answers, OpenAI
#   voices). The library worker only re-encodes what was built.
# - CHAT_CHECK_API_KEY: the chat reader's moderation and guardrail checks.
# - TWITCH_CLIENT_SECRET: the web (OAuth connect) and the chat reader (token refresh).
# - STREAM_KEY: the streamer, which hands it to its publisher on a pipe.
# - The store's keys: every process that reads or writes media; the scheduler's reaper removes a
#   failed clip's media. The chat reader touches none.
ROLES: dict[str, frozenset[str]] = {
    "web": frozenset({SECRET_KEY, TOKEN_ENCRYPTION_KEY, LLM_API_KEY, TWITCH_CLIENT_SECRET, *STORE_KEYS}),
    "worker": frozenset({LLM_API_KEY, TOKEN_ENCRYPTION_KEY, *STORE_KEYS}),
    # A build worker on a machine the studio does not control (a rented GPU): never the key that
    # opens the database's sealed values.
    "gpu-worker": frozenset({LLM_API_KEY, *STORE_KEYS}),
    "library": frozenset(STORE_KEYS),
    "scheduler": frozenset(STORE_KEYS),
    "streamer": frozenset({STREAM_KEY, *STORE_KEYS}),
    "chat": frozenset({CHAT_CHECK_API_KEY, TWITCH_CLIENT_SECRET, TOKEN_ENCRYPTION_KEY}),
    # compose's one-shot `migrate`: migrations, the bucket, re-sealing tokens (`tokenkey rotate`).
    "setup": frozenset({SECRET_KEY, TOKEN_ENCRYPTION_KEY, *STORE_KEYS}),
}

ROLE_VAR = "STUDIO_ROLE"  # the role a process was started as (what `withheld` answers from)
DIR_VAR = "STUDIO_SECRETS_DIR"  # where `manage.py studio` left each role's secrets
# The names of the secrets the studio was given (never their values): the web's System page says
# "stream key set" although only the streamer holds it.
SET_VAR = "STUDIO_SECRETS_SET"


def secrets_for(role: str, env: Mapping[str, str]) -> dict[str, str]:
    """The variables of `env` that hold (or name the file of) a secret `role` may hold."""
    allowed = ROLES[role]
    given = {variable: env[variable] for name in allowed for variable in variables(name) if env.get(variable)}
    # Settings fall back to LLM_API_KEY for the chat checks when they go to LLM_BASE_URL itself
    # (settings.py). A reader allowed the check key but not the LLM key gets that key under the
    # check's name, and only then.
    checks_at = env.get("CHAT_CHECK_BASE_URL", "").rstrip("/")
    same_address = checks_at in ("", env.get("LLM_BASE_URL", "").rstrip("/"))
    own_key = any(variable in given for variable in variables(CHAT_CHECK_API_KEY))
    if CHAT_CHECK_API_KEY in allowed and LLM_API_KEY not in allowed and same_address and not own_key:
        for variable, fallback in zip(variables(CHAT_CHECK_API_KEY), variables(LLM_API_KEY), strict=True):
            if env.get(fallback):
                given[variable] = env[fallback]
    return given


def configured_names(env: Mapping[str, str]) -> list[str]:
    return [name for name in SECRETS if any(env.get(variable) for variable in variables(name))]


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if not is_secret_variable(name)}


def role_env(role: str, env: Mapping[str, str], given: Mapping[str, str]) -> dict[str, str]:
    """`env` less every secret, plus `given` (ROLE's own) and the role's name."""
    out = without_secrets(env)
    out.pop(DIR_VAR, None)
    out.setdefault(SET_VAR, ",".join(configured_names(env)))
    out.update(given)
    if SECRET_KEY not in ROLES[role]:
        out[SECRET_KEY] = secrets.token_urlsafe(50)
    out[ROLE_VAR] = role
    return out


def withheld(name: str) -> bool:
    """Was this process started as a role that may not hold secret `name`? (False outside the
    launcher: a terminal's `manage.py shell` holds what its user gave it.)"""
    role = os.environ.get(ROLE_VAR)
    return bool(role) and name not in ROLES.get(role, frozenset())


def configured(name: str, value: str) -> bool:
    """Whether the studio has secret `name`: `value` is this process's setting, empty where the
    secret went to another process only."""
    return bool(value) or name in os.environ.get(SET_VAR, "").split(",")


def hand_out(folder: Path, roles: Iterable[str], env: Mapping[str, str]) -> None:
    """Leave each role's secrets in `folder` (made 0700 by the caller) for its launcher."""
    for role in roles:
        path = folder / f"{role}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(secrets_for(role, env), handle)


def take(folder: Path, role: str) -> dict[str, str]:
    """Read and delete the secrets the studio left for `role`. Each is taken once: a second
    process of the same role (or anyone after it) finds nothing."""
    path = folder / f"{role}.json"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise SystemExit(f"aijesus.processes: no secrets left for {role!r} in {folder}") from None
    with os.fdopen(fd) as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SystemExit(f"aijesus.processes: {path} is not this user's private file")
        given = json.load(handle)
    path.unlink()
    return {name: value for name, value in given.items() if is_secret_variable(name)}


def command(role: str, cmd: str) -> str:
    """A Procfile command that runs `cmd` as `role`."""
    return f"python -m aijesus.processes {role} -- {cmd}"


def main(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[1] != "--" or args[0] not in ROLES:
        raise SystemExit(f"usage: python -m aijesus.processes {{{','.join(ROLES)}}} -- COMMAND...")
    role, cmd = args[0], args[2:]
    # Under `manage.py studio` the secrets come from its file; any in our own environment came
    # through honcho from a `.env` file, and are ROLE's only if the table says so, as elsewhere.
    given = secrets_for(role, os.environ)
    if folder := os.environ.get(DIR_VAR):
        given.update(take(Path(folder), role))
    os.execvpe(cmd[0], cmd, role_env(role, os.environ, given))


if __name__ == "__main__":
    main()
