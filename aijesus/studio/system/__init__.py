"""What the studio is really using, and whether it works: the System page and `manage.py doctor`
run the same checks (see report.Check), and the page's Test actions (probes)."""

from __future__ import annotations

from django.conf import settings

from aijesus.studio.system.disk import disk_check
from aijesus.studio.system.engines import persona_checks
from aijesus.studio.system.report import FAIL, OFF, OK, WARN, Check, summary
from aijesus.studio.system.services import (
    database_check,
    media_store_check,
    redis_check,
    stream_output_check,
    streamer_check,
    twitch_check,
    workers_check,
)

__all__ = ["FAIL", "OFF", "OK", "WARN", "Check", "run_checks", "summary"]


def run_checks(*, live: bool = True, workers: bool = True, redis_url: str | None = None) -> list[Check]:
    """Every check, in the page's order. `live` contacts the LLM endpoint (a model list, no
    answer); `workers` asks the running workers (`make run` skips it: they are not started yet)."""
    from aijesus.studio.models import Persona

    timeout = settings.SYSTEM_CHECK_TIMEOUT
    checks = [database_check(), redis_check(redis_url), media_store_check(live=live)]
    if checks[0].status == FAIL:
        persona = None
        checks.append(Check("persona", "Persona", FAIL, "unknown", "The database cannot be read."))
    else:
        active = Persona.objects.active()
        persona = active.snapshot() if active else None
        checks += persona_checks(persona, live=live, timeout=timeout)
    if workers:
        checks.append(workers_check(timeout))
        checks.append(streamer_check())
    checks += [stream_output_check(), twitch_check(), disk_check()]
    return checks
