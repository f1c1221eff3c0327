"""The services the studio runs on: database, Redis, workers, the streamer, the stream output and
Twitch. Each check says what is in effect and, when something is wrong, what to change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from aijesus.processes import configured
from aijesus.studio.system.report import FAIL, OFF, OK, WARN, Check, safe_url


def database_check() -> Check:
    vendor = connection.vendor
    where = settings.DATABASES["default"]
    place = (
        str(where["NAME"])
        if vendor == "sqlite"
        else f"{where.get('HOST') or 'localhost'}:{where.get('PORT') or 5432}/{where['NAME']}"
    )
    value = f"{connection.display_name} at {place}"
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Check(
            "database",
            "Database",
            FAIL,
            value,
            f"cannot connect: {str(exc).strip()[:200]}",
            fix="Start the database or correct DATABASE_URL (unset, the studio uses SQLite).",
        )
    if pending:
        return Check(
            "database",
            "Database",
            FAIL,
            value,
            f"{len(pending)} migration(s) not applied",
            fix="Run `python manage.py migrate` (make run does).",
        )
    return Check("database", "Database", OK, value, "reachable, migrations applied")


def redis_check(url: str | None = None) -> Check:
    import redis

    url = url or settings.REDIS_URL
    value = safe_url(url)
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        info = client.info("server")
    except redis.RedisError as exc:
        return Check(
            "redis",
            "Redis",
            FAIL,
            value,
            f"cannot reach it: {exc}",
            fix="Start Redis or correct REDIS_URL (make run starts a bundled Redis when none answers).",
        )
    finally:
        client.close()
    return Check("redis", "Redis", OK, value, f"Redis {info.get('redis_version', '?')} answers")


def ask_workers(timeout: float) -> list[tuple[str, dict[str, Any]]]:
    """Every running worker's `studio_info` (builder/worker_info.py): [(name, info)]."""
    from aijesus.celery import app

    replies = app.control.broadcast("studio_info", reply=True, timeout=timeout)
    # By name only: two workers started with the same name (a Procfile without --hostname) both
    # answer, and their replies must not be compared.
    return sorted(
        ((name, info) for reply in replies or [] for name, info in reply.items()), key=lambda r: r[0]
    )


def workers_check(timeout: float) -> Check:
    build_queue = settings.CELERY_TASK_ROUTES.get("builder.tasks.build_clip", {}).get("queue", "default")
    try:
        workers = ask_workers(timeout)
    except (OperationalError, OSError, RedisError) as exc:
        return Check(
            "workers",
            "Workers",
            FAIL,
            "cannot ask",
            f"the broker did not take the question: {exc}",
            fix="Check Redis (REDIS_URL).",
            testable=True,
        )
    if not workers:
        return Check(
            "workers",
            "Workers",
            WARN,
            "none running",
            "Approved questions wait until a worker runs.",
            fix=f"Start one: make run, or `celery -A aijesus worker --queues default,{build_queue}`.",
            testable=True,
        )
    lines = [_describe_worker(name, info) for name, info in workers]
    value = f"{len(workers)} running"
    if not any(build_queue in info.get("queues", []) for _, info in workers):
        return Check(
            "workers",
            "Workers",
            FAIL,
            value,
            "; ".join(lines),
            fix=f"No worker serves the {build_queue!r} queue clips are built on: add --queues {build_queue}.",
            testable=True,
        )
    return Check("workers", "Workers", OK, value, "; ".join(lines), testable=True)


def _describe_worker(name: str, info: dict[str, Any]) -> str:
    if not isinstance(info, dict) or "queues" not in info:
        return f"{name}: {info}"
    gpus = ", ".join(info.get("gpus") or []) or "no GPU"
    return f"{name}: queues {', '.join(info['queues'])}; {info.get('cpus', '?')} CPUs; {gpus}"


def streamer_check() -> Check:
    import redis

    from streamer import lease
    from streamer.control import redis_client
    from streamer.state import read_state

    try:
        client = redis_client()
        state, on_air, standing_by = read_state(client), lease.holder(client), lease.standbys(client)
    except redis.RedisError as exc:
        return Check("streamer", "Streamer", FAIL, "unknown", f"cannot read its state from Redis: {exc}")
    standby = f"{len(standing_by)} standby" if standing_by else ""
    if on_air is None:
        if standing_by:  # the one on air stopped: a standby takes the lease within seconds
            detail = f"Standing by: {', '.join(standing_by)}; one takes over once the lease is free."
            return Check("streamer", "Streamer", WARN, f"{standby}, none on air", detail)
        return Check(
            "streamer",
            "Streamer",
            WARN,
            "not running",
            "Nothing is on air.",
            fix="Start it: make run, or `python manage.py stream`.",
        )
    if state is None:
        value = "starting"
        state = {}
    elif playing := state.get("now_playing") or {}:
        value = f"answering {playing.get('viewer', '?')} (clip {playing.get('clip', '?')})"
    else:
        value = "paused" if state.get("paused") else "idle loop"
    value = f"on air: {on_air}; {value}; output {state.get('output', '?')}"
    if standby:
        value += f"; {standby}"
    health = state.get("health") or {}
    detail = (
        f"{health.get('fps', '?')} of {health.get('target_fps', '?')} fps, "
        f"encoder {health.get('encoder_speed') or '?'}x, "
        f"{health.get('reconnects', 0)} reconnects, database {health.get('database', '?')}"
    )
    if not state.get("on_air"):
        return Check("streamer", "Streamer", WARN, value, "running, but its encoder is not up: " + detail)
    return Check("streamer", "Streamer", OK, value, detail)


def stream_output_check() -> Check:
    mode = settings.STREAM_OUTPUT
    if mode == "preview":
        return Check(
            "stream",
            "Stream output",
            OK,
            "preview only (STREAM_OUTPUT=preview)",
            "Nothing is sent to Twitch; the dashboard shows the preview.",
            fix="To go live: STREAM_OUTPUT=rtmp and STREAM_KEY (docs/streaming.md).",
        )
    # Only the streamer holds the key (aijesus/processes.py): elsewhere, whether it was given.
    has_key = configured("STREAM_KEY", settings.STREAM_KEY)
    value = f"{mode}: {safe_url(settings.STREAM_RTMP_URL)}; stream key {'set' if has_key else 'not set'}"
    if not has_key:
        return Check(
            "stream",
            "Stream output",
            FAIL,
            value,
            "The ingest refuses a stream without its key.",
            fix="Set STREAM_KEY (Twitch: Creator Dashboard → Settings → Stream).",
            testable=True,
        )
    return Check("stream", "Stream output", OK, value, testable=True)


def twitch_check() -> Check:
    from aijesus.chat.tokens import bot_account

    if settings.CHAT_SOURCE != "twitch":
        return Check(
            "twitch",
            "Twitch chat",
            OFF,
            f"chat from {settings.CHAT_SOURCE} (CHAT_SOURCE)",
            fix="CHAT_SOURCE=twitch with TWITCH_CLIENT_ID, TWITCH_CLIENT_SECRET and TWITCH_CHANNEL "
            "(docs/chat.md).",
        )
    missing = [
        name
        for name in ("TWITCH_CLIENT_ID", "TWITCH_CLIENT_SECRET", "TWITCH_CHANNEL")
        if not getattr(settings, name)
    ]
    try:
        account = bot_account()
    except DatabaseError:
        account = None
    value = (
        f"channel {settings.TWITCH_CHANNEL or '?'}; account {account.login if account else 'not connected'}"
    )
    if missing:
        return Check(
            "twitch",
            "Twitch chat",
            FAIL,
            value,
            f"{', '.join(missing)} not set",
            fix=f"Set {', '.join(missing)} (docs/chat.md).",
        )
    if account is None:
        return Check(
            "twitch",
            "Twitch chat",
            FAIL,
            value,
            "No Twitch account is connected.",
            fix="Chat page → Connect Twitch.",
        )
    return Check("twitch", "Twitch chat", OK, value, f"scopes: {', '.join(account.scope_list) or 'none'}")


def media_store_check(*, live: bool = True) -> Check:
    """Where clips and avatars are kept: MEDIA_ROOT, or the S3-compatible store remote workers share."""
    from aijesus import mediastore

    store = mediastore.store()
    value = store.describe()
    if not store.remote:
        return Check("media", "Media store", OK, value, "every process shares this folder")
    if not live:
        return Check("media", "Media store", OK, value, "not contacted (offline check)")
    try:
        store.check()
    except mediastore.StoreUnavailable as exc:
        return Check(
            "media",
            "Media store",
            FAIL,
            value,
            str(exc),
            fix="Check MEDIA_S3_ENDPOINT_URL, MEDIA_S3_BUCKET and the MEDIA_S3_* credentials "
            "(docs/deploy.md); builds wait and retry meanwhile.",
        )
    return Check("media", "Media store", OK, value, "reachable; workers elsewhere share it")
