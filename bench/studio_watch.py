"""The studio seen from outside while `studio_latency` runs: the stream's state polled from Redis,
approvals clicked in the browser, and the clips' figures read from the database."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

POLL_S = 0.25  # the streamer publishes its state about once a second


class Watch:
    """The studio seen from outside while a run goes on: its processes alive, the stream's state
    polled from Redis (underruns counted against the answer on air), approvals in the browser."""

    def __init__(self, studio: Any, dash: Any, db: ThreadPoolExecutor, client: Any) -> None:
        self.studio, self.dash, self.db, self.client = studio, dash, db, client
        self.underruns_total = 0
        self.underruns_by_clip: dict[int, int] = defaultdict(int)
        self.fps = 0
        self._counter: int | None = None
        self._playing: int | None = None
        self._fps: list[float] = []
        self._updated: float | None = None
        self._behind = self._reconnects = self._reconnects_before = self._missing = 0

    def approve(self, text: str, viewer: str) -> int:
        """Submit a question as chat does and approve it in the dashboard; returns its clip."""
        question = self.db.submit(_submit, text, viewer).result()
        self.dash.approve(question)
        return self.wait(lambda: _clip_of(question), f"the clip of question {question}", 60)

    def reset(self) -> None:
        """Count from now on: the measured window starts."""
        self.underruns_total = 0
        self.underruns_by_clip.clear()
        self._fps.clear()
        self._behind = self._missing = 0
        self._reconnects_before = self._reconnects  # the streamer's counter runs since its start

    def pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._step()

    def wait(self, condition: Callable[[], Any], what: str, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = self.db.submit(_fresh, condition).result()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.studio.tail()}")
            self._step()

    def _step(self) -> None:
        for name, process in self.studio.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited ({process.returncode})\n{self.studio.tail()}")
        self._poll_state()
        self.dash.idle(POLL_S)

    def _poll_state(self) -> None:
        from streamer.state import read_state

        state = read_state(self.client)
        if not state or not state.get("on_air"):
            self._missing += 1
            return
        health = state.get("health") or {}
        self.fps = health.get("target_fps") or self.fps
        if state.get("updated_at") != self._updated:  # a new state (about once a second)
            self._updated = state.get("updated_at")
            if health.get("fps"):
                self._fps.append(health["fps"])
            self._behind = max(self._behind, health.get("frames_behind") or 0)
        self._reconnects = health.get("reconnects") or 0
        playing = (state.get("now_playing") or {}).get("clip")
        counter = health.get("underruns", 0)
        if self._counter is not None and counter > self._counter:
            # Underruns happen only while an answer airs; one that ended between two polls shows
            # up as the idle loop's state: it belongs to the answer seen last.
            self.underruns_by_clip[playing or self._playing or 0] += counter - self._counter
            self.underruns_total += counter - self._counter
        self._counter = counter
        self._playing = playing or self._playing

    def health(self) -> dict[str, Any]:
        return {
            "fps_min": min(self._fps, default=None),
            "fps_median": round(statistics.median(self._fps), 2) if self._fps else None,
            "frames_behind_max": self._behind,
            "reconnects": self._reconnects - self._reconnects_before,
            "polls_off_air": self._missing,
        }


# -- database work (run in the bench's database thread)


def _fresh(condition: Callable[[], Any]) -> Any:
    from django.db import close_old_connections

    close_old_connections()
    return condition()


def _submit(text: str, viewer: str) -> int:
    from aijesus.studio.services import question_submit

    return question_submit(text=text, viewer_name=viewer).pk


def _clip_of(question: int) -> int | None:
    from aijesus.studio.models import Clip

    return Clip.objects.filter(question_id=question).values_list("pk", flat=True).first()


def built(clip: int) -> bool:
    from aijesus.studio.models import Clip

    return Clip.objects.filter(pk=clip, status__in=("ready", "failed", "cancelled")).exists()


def aired_or_failed(clip: int) -> bool:
    from aijesus.studio.models import Clip

    row = Clip.objects.values("first_aired_at", "status").get(pk=clip)
    return row["first_aired_at"] is not None or row["status"] in ("failed", "cancelled")


def clip_rows(ids: list[int]) -> list[dict[str, Any]]:
    from aijesus.studio.models import Clip

    clips = Clip.objects.in_bulk(ids)
    return [_clip_row(clips[pk]) for pk in ids]


def _clip_row(clip: Any) -> dict[str, Any]:
    def since_approval(moment: Any) -> float | None:
        return round((moment - clip.created_at).total_seconds(), 3) if moment else None

    timings = clip.timings or {}
    total = timings.get("total")
    return {
        "clip": clip.pk,
        "status": clip.status,
        "approval_to_on_air_s": since_approval(clip.first_aired_at),
        "approval_to_build_start_s": since_approval(clip.started_at),
        "first_segment_s": _rounded(timings.get("first_segment"), 3),
        "build_s": _rounded(total, 2),
        "duration_s": _rounded(clip.duration, 2),
        "realtime_factor": round(clip.duration / total, 2) if clip.duration and total else None,
        # The streamer starts an answer whose build keeps ahead before the build is done.
        "aired_while_building": bool(
            clip.first_aired_at and clip.finished_at and clip.first_aired_at < clip.finished_at
        ),
        "attempts": clip.attempt,
    }


def _rounded(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None
