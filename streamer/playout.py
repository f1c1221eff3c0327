"""What airs next: new answers first, then re-air requests, else the idle loop.

Order of new answers: clips never aired (aired_count 0, not deleted), by their question's priority
(highest first), then the time the question was approved (earliest first), then creation. A ready
clip is eligible at once. A clip still building is eligible only if its build keeps ahead of real
time (`can_start_early`), so the stream never has to wait for a segment mid-answer. A building clip
that is not eligible yet does not hold up a ready one behind it.

A clip airs as one build attempt: its segments are looked up for that attempt only, and only while
the clip still is at that attempt (building or ready). An attempt taken away mid-air (released,
reaped, failed, cancelled) therefore ends the airing at the next segment boundary; see
aijesus/studio/lifecycle.py for how that airing is (not) counted. A segment file the media store
no longer has raises SegmentLost: the playout sends the clip back to be built again.
"""

from __future__ import annotations

import collections
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone

from aijesus import mediastore
from aijesus.studio.models import Clip, Segment
from builder.encode.speech import segment_files
from streamer.sources import SegmentFile

EARLY_START_MARGIN = 1.5  # safety factor on the length of the next segment (see can_start_early)
EARLY_START_LEAD = 1.0  # at least this many seconds ready before a building clip starts
_CANDIDATES = 50


class SegmentNotHere(Exception):
    """The segment exists but its file could not be fetched from the media store yet."""


class SegmentLost(Exception):
    """The media store answers, and it does not have the segment's file: the attempt cannot air."""


def can_start_early(
    ready_seconds: float,
    build_started: datetime | None,
    now: datetime,
    *,
    next_segment: float,
    margin: float = EARLY_START_MARGIN,
    lead: float = EARLY_START_LEAD,
) -> bool:
    """Whether a building clip can start now and never wait for a segment, at the pace its build
    has kept so far.

    The build has turned out `ready_seconds` of media (contiguous segments) in the wall seconds
    since it started: its pace p. Started now, the player reaches the end of what is ready after
    `ready_seconds`; by then, at pace p, the build has made (p - 1) x ready_seconds more than the
    player used — enough if that covers the next segment (estimated as the longest one so far,
    times `margin` for a slower sentence). So a build at 20x real time (speech segments) starts at
    its first segment, one at 1.1x waits until nearly all of it is there, and one slower than real
    time waits for the end. `margin` 0 starts at the first `lead` seconds whatever the pace.
    If a build slows down anyway, the streamer shows the idle motion (silent) until the segment
    arrives, and counts an underrun.
    """
    if build_started is None or ready_seconds < lead:
        return False
    if margin == 0:
        return True
    elapsed = max((now - build_started).total_seconds(), 1e-3)
    pace = ready_seconds / elapsed
    return (pace - 1.0) * ready_seconds >= margin * next_segment


class Playout:
    def __init__(self, *, margin: float = EARLY_START_MARGIN, lead: float = EARLY_START_LEAD) -> None:
        self.margin, self.lead = margin, lead
        self.reair_requests: collections.deque[int] = collections.deque()

    def request_reair(self, clip_id: int) -> None:
        if clip_id not in self.reair_requests:
            self.reair_requests.append(clip_id)

    def fresh(self) -> Any:
        return (
            Clip.objects.filter(deleted_at=None, aired_count=0, status__in=[Clip.S.READY, Clip.S.BUILDING])
            .select_related("question")
            .order_by(
                F("question__priority").desc(nulls_last=True),
                F("question__moderated_at").asc(nulls_last=True),
                "created_at",
                "pk",
            )
        )

    def next_clip(self, exclude: set[int] | frozenset[int] = frozenset()) -> Clip | None:
        now = timezone.now()
        for clip in self.fresh().exclude(pk__in=exclude)[:_CANDIDATES]:
            if clip.status == Clip.S.READY:
                return clip
            ready, longest = self.ready_seconds(clip.pk, clip.attempt)
            if can_start_early(
                ready, clip.started_at, now, next_segment=longest, margin=self.margin, lead=self.lead
            ):
                return clip
        while self.reair_requests:
            clip_id = self.reair_requests.popleft()
            clip = Clip.objects.filter(
                pk=clip_id, deleted_at=None, media_removed_at=None, status=Clip.S.READY
            ).first()
            if clip is not None:
                return clip
        return None

    def upcoming(self, limit: int = 10) -> list[dict[str, Any]]:
        """The queue as the dashboard shows it: new answers in order, then re-air requests."""
        items = [_clip_json(clip, "new") for clip in self.fresh()[:limit]]
        for clip_id in list(self.reair_requests)[: max(0, limit - len(items))]:
            clip = Clip.objects.filter(pk=clip_id).select_related("question").first()
            if clip is not None:
                items.append(_clip_json(clip, "re-air"))
        return items

    # -- what a clip source needs while a clip plays
    def ready_seconds(self, clip_id: int, attempt: int) -> tuple[float, float]:
        """Seconds of media in the attempt's segments 0, 1, 2, ... up to the first one missing,
        and the longest of those segments."""
        rows = (
            Segment.objects.filter(clip_id=clip_id, attempt=attempt)
            .order_by("index")
            .values_list("index", "duration")
        )
        total = longest = 0.0
        for expected, (index, duration) in enumerate(rows):
            if index != expected:
                break
            total, longest = total + duration, max(longest, duration)
        return total, longest

    def total_seconds(self, clip_id: int, attempt: int) -> float:
        rows = Segment.objects.filter(clip_id=clip_id, attempt=attempt)
        return rows.aggregate(s=Sum("duration"))["s"] or 0.0

    def segment_path(self, clip_id: int, attempt: int, index: int) -> SegmentFile | None:
        segment = Segment.objects.filter(
            clip_id=clip_id,
            attempt=attempt,
            index=index,
            clip__attempt=attempt,
            clip__status__in=[Clip.S.BUILDING, Clip.S.READY],
        ).first()
        if segment is None or not segment.media:
            return None
        try:
            for path in segment_files(Path(segment.media.name), segment.kind):
                # Fetched ahead of air time, on the playout thread; with the local store (nothing
                # to fetch) a file removed from the media folder is found missing here too.
                if not mediastore.local(path.as_posix()).is_file():
                    raise mediastore.ObjectMissing(f"{path.as_posix()} is not in the media folder")
        except mediastore.StoreUnavailable as exc:
            raise SegmentNotHere(f"clip {clip_id} segment {index + 1}: {exc}") from None
        except mediastore.ObjectMissing as exc:
            raise SegmentLost(f"segment {index + 1} cannot be aired: {exc}") from None
        return SegmentFile(Path(settings.MEDIA_ROOT) / segment.media.name, segment.kind, segment.duration)

    def still_building(self, clip_id: int, attempt: int) -> bool:
        return Clip.objects.filter(pk=clip_id, attempt=attempt, status=Clip.S.BUILDING).exists()


def _clip_json(clip: Clip, kind: str) -> dict[str, Any]:
    question = clip.question
    return {
        "clip": clip.pk,
        "kind": kind,
        "status": clip.status,
        "question": question.text if question else "",
        "viewer": question.viewer_name if question else "",
        "priority": question.priority if question else None,
    }
