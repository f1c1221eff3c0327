"""A build rides out a database that goes away for a while (a restart, a failover, a dropped
connection) instead of losing the clip: its lifecycle calls wait for the database and are made
again, on a new connection.

Making a call again is safe because every move a worker makes names its attempt (`WHERE status =
'building' AND attempt = n`): an UPDATE made twice lands once, and a move that another process made
meanwhile (the attempt reaped or cancelled) is refused as usual. What is not safe is making twice a
call that did commit although its connection broke before the answer came back: `done` tells, for
the calls that add something (a segment, the move to ready).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)

T = TypeVar("T")

# A lost connection or a database that does not answer (yet); not a query the database refused.
UNREACHABLE = (OperationalError, InterfaceError)
# Longer than a database restart or a failover takes. Past it the build gives up: its attempt
# stays "building" with a silent heartbeat, and the reaper rebuilds it once the database is back.
WAIT_SECONDS = 120.0


def when_reachable(
    call: Callable[[], T],
    *,
    what: str,
    done: Callable[[], T | None] | None = None,
    wait: float = WAIT_SECONDS,
) -> T:
    """`call()`, made again every BUILD_HEARTBEAT_SECONDS while the database is unreachable.

    `done()` runs before each new try: not None means the last try did commit, and is the result.
    Inside a transaction nothing is tried again (the transaction went with the connection).
    """
    deadline = time.monotonic() + wait
    tries = 0
    while True:
        try:
            if tries and done is not None and (result := done()) is not None:
                return result
            result = call()
        except UNREACHABLE as exc:
            if connection.in_atomic_block or time.monotonic() >= deadline:
                raise
            if not tries:
                log.warning("%s: the database is unreachable (%s); waiting for it", what, exc)
            tries += 1
            # A broken connection is never used again: the next try opens a new one.
            with contextlib.suppress(DatabaseError):
                connection.close()
            time.sleep(settings.BUILD_HEARTBEAT_SECONDS)
            continue
        if tries:
            log.info("%s: the database answers again (after %d tries)", what, tries + 1)
        return result
