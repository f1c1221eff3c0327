"""One broadcaster per studio: a lease in Redis that the streamer on air holds and renews.

`manage.py stream` takes the lease (SET NX PX with a token of its own) before it starts its
encoder, and renews it every second with a compare-and-renew script. A second streamer finds the
lease taken: it stands by (a short-lived `standby` key tells the System page so), tries again
twice a second, and takes over once a dead holder's lease lapses (`STREAM_LEASE_SECONDS`, 3 s).

The lease fences the counting of airings: a streamer writes airing reports only while the lease is
its own (`check`). While Redis does not answer, the holder keeps streaming; it still counts for as
long as its last renewal proves nobody else can hold the lease, and after that it keeps its reports
(journaled) until Redis says whose the lease is. A holder that finds the lease taken by another
stops broadcasting and stands by.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid

import redis
from django.conf import settings

from streamer.control import Ticker, key_prefix

log = logging.getLogger(__name__)

RENEW_EVERY = 1.0  # seconds between renewals
STANDBY_POLL = 0.5  # a standby tries to take the lease this often
# Counting while Redis is away needs this much of the lease left, so a count never lands after a
# standby could have taken over (the write is a few milliseconds; this covers a slow commit too).
COUNT_MARGIN = 1.0

# Renew our lease, or take it back if it lapsed and nobody took it meanwhile (a Redis restart, a
# long stall): 1 = ours, 0 = another streamer's.
_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[2])
    return 1
end
if not holder then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def lease_key() -> str:
    return f"{key_prefix()}:lease"


def standby_key(token: str = "*") -> str:
    return f"{key_prefix()}:standby:{token}"


def describe(token: str | None) -> str | None:
    """host/pid from a lease token (host/pid/random)."""
    return token.rsplit("/", 1)[0] if token else None


def holder(client: redis.Redis) -> str | None:
    """Who is on air (host/pid), or None."""
    raw = client.get(lease_key())
    return describe(raw.decode()) if raw else None


def standbys(client: redis.Redis) -> list[str]:
    """The streamers standing by (host/pid each)."""
    return sorted(describe(key.decode().rsplit(":", 1)[1]) or "" for key in client.scan_iter(standby_key()))


class LeaseUnknown(Exception):
    """Redis does not answer and our last renewal is too old to prove the lease is still ours."""


class Lease:
    def __init__(self, client: redis.Redis, *, seconds: float | None = None) -> None:
        self.client = client
        self.seconds = seconds or settings.STREAM_LEASE_SECONDS
        self.token = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.name = describe(self.token) or self.token
        self.lost = threading.Event()  # set by the renewer: another streamer holds the lease now
        self.taken_by: str | None = None
        self._valid_until = float("-inf")  # monotonic: the lease is surely ours until then
        self._renewer = Ticker("stream-lease", RENEW_EVERY, self._renew_tick)
        self._warned = False

    @property
    def _ms(self) -> int:
        return round(self.seconds * 1000)

    # -- taking it
    def try_acquire(self) -> bool:
        sent = time.monotonic()
        if self.client.set(lease_key(), self.token, nx=True, px=self._ms):
            self._valid_until = sent + self.seconds
            self.lost.clear()
            self.taken_by = None
            with contextlib.suppress(redis.RedisError):  # the mark lapses by itself
                self.client.delete(standby_key(self.token))
            return True
        return False

    def wait(self, stop: threading.Event) -> bool:
        """Stand by until the lease is ours (True) or `stop` is set (False). Meanwhile a short-lived
        key says this streamer stands by, and the log says for whom."""
        told: str | None = None  # the holder last named in the log
        redis_down = False
        while not stop.is_set():
            try:
                if self.try_acquire():
                    if told is not None:
                        log.info("taking over the broadcast from %s", told)
                    return True
                self.client.set(standby_key(self.token), self.name, px=self._ms)
                on_air = holder(self.client)  # None: it lapsed this very moment; taken at the next try
                if on_air is not None and on_air != told:
                    log.info(
                        "standing by: the stream is on air from %s; this streamer takes over if it stops",
                        on_air,
                    )
                    told = on_air
                redis_down = False
            except redis.RedisError as exc:
                if not redis_down:
                    log.warning("standing by: cannot reach Redis to take the lease (%s)", exc)
                redis_down = True
            stop.wait(STANDBY_POLL)
        return False

    # -- keeping it
    def renew(self) -> bool | None:
        """True: still ours; False: another streamer's; None: Redis did not answer."""
        sent = time.monotonic()
        try:
            ours = self.client.eval(_RENEW, 1, lease_key(), self.token, self._ms)
        except redis.RedisError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot renew the broadcast lease (the stream goes on): %s", exc)
            return None
        self._warned = False
        if ours:
            self._valid_until = sent + self.seconds
            return True
        return False

    def start_renewing(self) -> None:
        self._renewer.start()

    def stop_renewing(self) -> None:
        self._renewer.stop()

    def _renew_tick(self) -> bool:
        if self.lost.is_set():
            return False
        if self.renew() is False:
            self._lose()
            return False
        return True

    def _lose(self) -> None:
        if self.lost.is_set():
            return  # said once (the renewer and a write may both find out)
        try:
            self.taken_by = holder(self.client)
        except redis.RedisError:
            self.taken_by = None
        log.warning(
            "the broadcast lease is held by %s now: this streamer stops broadcasting",
            self.taken_by or "another streamer",
        )
        self.lost.set()

    def check(self) -> bool:
        """Whether the lease is ours now (renewed on the way), for a write that counts. Raises
        LeaseUnknown when Redis does not answer and the last renewal no longer proves it."""
        if self.lost.is_set():
            return False  # never taken back behind the standby's back: it stands by first
        ours = self.renew()
        if ours is None:
            if time.monotonic() < self._valid_until - COUNT_MARGIN:
                return True  # renewed recently: nobody else can have taken it yet
            raise LeaseUnknown("Redis does not answer: whose the broadcast lease is cannot be told")
        if not ours and not self.lost.is_set():
            self._lose()
        return ours

    def release(self) -> None:
        """Stop renewing and hand the lease back at once (a standby takes over without waiting)."""
        self.stop_renewing()
        try:
            self.client.eval(_RELEASE, 1, lease_key(), self.token)
            self.client.delete(standby_key(self.token))
        except redis.RedisError as exc:  # it lapses by itself
            log.warning(
                "could not hand the broadcast lease back (it lapses in %.0f s): %s", self.seconds, exc
            )
