"""Rows where a process dies, doubles or is cut off: the control, a worker SIGKILLed mid-build,
the streamer on air SIGKILLed with a second one standing by, two streamers at once, and an LLM
that drops the answer the stream already airs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.faults.llm import ScriptedLLM
from bench.faults.outcome import finish
from bench.faults.rig import Rig, row_studio

QUESTIONS = ["What is peace?", "How do I forgive?", "What is hope?", "Why do we suffer?", "What is love?"]
BUILD_WAIT_S = 120.0  # one build on a loaded 2-core machine, with slack


def ask_several(rig: Rig, n: int, start: int = 0) -> list[int]:
    return [rig.ask(QUESTIONS[(start + i) % len(QUESTIONS)]) for i in range(n)]


def first_segment(pk: int) -> bool:
    from aijesus.studio.models import Segment

    return Segment.objects.filter(clip_id=pk, attempt=1).exists()


def status_is(pk: int, *statuses: str) -> bool:
    from aijesus.studio.models import Clip

    return Clip.objects.filter(pk=pk, status__in=statuses).exists()


def held_first(rig: Rig, text: str, *, cut: bool = False) -> tuple[int, Any]:
    """Approve a question whose answer the LLM holds after its first sentence (two, with `cut`);
    returns (clip, gate). "Mid-build" is then a state to wait for, not a moment to guess."""
    ticket = rig.ticket()
    gate = rig.llm.hold(ticket, cut=cut)
    return rig.ask(text, ticket), gate


def control(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """No fault: three answers approved at once and aired in turn. Calibrates the rest."""
    with row_studio("control", root, llm) as rig:
        rig.streamer()
        ask_several(rig, 3)
        return finish(rig, 240)


def worker_kill(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """The build worker (master and pool child) SIGKILLed mid-build, a new one started at once (as
    a supervisor does); two more answers wait behind the killed one."""
    with row_studio("worker_kill", root, llm) as rig:
        rig.streamer()
        first, gate = held_first(rig, QUESTIONS[0])
        rig.expect(lambda: first_segment(first), "attempt 1's first segment", BUILD_WAIT_S)
        ask_several(rig, 2, start=1)
        rig.mark("fault")
        rig.kill("worker")
        gate.set()
        assert rig.studio is not None
        rig.studio.worker("worker-2")
        return finish(rig, 240)


def streamer_kill_standby(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """Two `manage.py stream`: the second is to be a hot standby. The one airing the first answer
    is SIGKILLed mid-answer; two more answers follow. `takeover_s`: the kill → the other streamer's
    next "on air"."""
    with row_studio("streamer_kill_standby", root, llm) as rig:
        rig.streamer("streamer")
        rig.streamer("standby", wait=False)
        rig.expect(lambda: "stream:" in rig.log("standby"), "the standby to start", 60)
        time.sleep(3)
        first = rig.ask(QUESTIONS[0])
        rig.expect(lambda: rig.on_air(first), "the first answer on air", BUILD_WAIT_S)
        time.sleep(2)  # mid-answer
        airing = rig.on_air(first) or "streamer"
        fault = rig.mark("fault")
        rig.kill(airing)
        ask_several(rig, 2, start=1)
        out = finish(rig, 240)
    after = [
        a["wall"]
        for a in out["airings"]
        if a["streamer"] != airing and a["wall"] > fault - rig.marks["start"]
    ]
    out["killed"] = airing
    out["takeover_s"] = round(min(after) - (fault - rig.marks["start"]), 1) if after else None
    return out


def two_streamers(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """A second `manage.py stream` started while the studio runs (a second `make run`, or the
    command typed by hand); three answers approved."""
    with row_studio("two_streamers", root, llm) as rig:
        rig.streamer("streamer")
        rig.mark("fault")
        rig.streamer("streamer-2", wait=False)
        rig.expect(lambda: "stream:" in rig.log("streamer-2"), "the second streamer to start", 60)
        time.sleep(3)
        ask_several(rig, 3)
        return finish(rig, 240)


def llm_drop(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """The LLM's answer stream drops mid-answer while the streamer already airs its first
    sentences (the build keeps ahead, so the clip starts early); two more answers follow."""
    with row_studio("llm_drop", root, llm) as rig:
        rig.streamer()
        first, gate = held_first(rig, QUESTIONS[0], cut=True)
        started = rig.expect(lambda: rig.on_air(first), "attempt 1 on air while building", BUILD_WAIT_S)
        rig.mark("fault")
        gate.set()
        ask_several(rig, 2, start=1)
        out = finish(rig, 240)
    out["dropped_while_on_air"] = started
    return out
