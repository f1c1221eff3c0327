"""The fallback `make run` uses when no Redis answers: a real bundled redis-server."""

import socket

import redis

from aijesus.localredis import ensure_redis, redis_answers


def test_a_reachable_redis_is_used_as_is(redis_url, tmp_path):
    url, bundled = ensure_redis(redis_url, tmp_path)
    assert (url, bundled) == (redis_url, None)


def test_with_no_redis_a_bundled_one_is_started_and_stopped(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configured = f"redis://127.0.0.1:{port}/0"
    assert not redis_answers(configured, timeout=0.2)
    url, bundled = ensure_redis(configured, tmp_path)
    try:
        # The bundled server takes the configured port, so every process finds it at REDIS_URL.
        assert bundled is not None and url == configured
        client = redis.Redis.from_url(url)
        client.set("studio", "on")
        assert client.get("studio") == b"on"
    finally:
        bundled.stop()
    assert not redis_answers(url, timeout=0.2)
