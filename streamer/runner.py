"""The broadcast loop: one frame at a time, at the stream's rate, into one long-lived encoder.

Each round asks the playout for a clip; with none (or answers paused) it plays half a second of
the idle loop and asks again. A clip plays to its end, or until skipped. Commands are taken
between batches of frames. The frame counter only grows: it numbers the idle motion and paces the
writes, across clips and across encoder restarts.

If ffmpeg dies (the RTMP connection dropped, the ingest refused us) the frame being written is
kept, ffmpeg is started again after a backoff (0.5 s, doubling, at most 10 s, reset after 10 s on
air), and the stream goes on from that very frame: a clip that was playing resumes where it was
cut, it does not restart (viewers heard its beginning).

An airing is reported to the lifecycle when it ends (aired: counted if it played a ready clip's
attempt whole, or was skipped); if the build attempt it plays is taken away, the clip ends at the
next segment boundary and is not counted; media that cannot be played sends the clip back to be
built again. While the database is unreachable the idle loop (or the wait for the next segment)
goes on, and reports are journaled until they can be written (streamer/reports.py).

One broadcaster per studio: the streamer holds a lease in Redis while on air (streamer/lease.py).
Without it, it stands by with no encoder; it takes over when the holder's lease lapses, and goes
back to standing by if it finds the lease taken by another.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from builder.media import MediaFormat
from streamer import control
from streamer.config import clip_drawing
from streamer.encoder import EncoderDied, StreamEncoder
from streamer.lease import Lease
from streamer.live_playout import Plan, PlayoutThread
from streamer.outputs import Outputs
from streamer.pacing import Pacer, samples_for_frame
from streamer.playout import Playout
from streamer.preview import PREVIEW_FRAME, PreviewWriter
from streamer.reports import ABANDONED, AIRED, BROKEN, STARTED, Journal, Report
from streamer.sources import ClipSource, IdleSource
from streamer.state import StatePublisher

log = logging.getLogger(__name__)

BACKOFF_FIRST, BACKOFF_CAP, BACKOFF_RESET = 0.5, 10.0, 10.0  # seconds
# The playout thread looks at the database this often even without a notice (a notice lost with
# a Redis restart only delays a clip by this much).
PLAYOUT_REFRESH = 1.0


class Streamer:
    def __init__(
        self,
        fmt: MediaFormat,
        outputs: Outputs,
        idle: IdleSource,
        *,
        playout: Playout | None = None,
        client: redis.Redis | None = None,
        fade_frames: int | None = None,
        lease: Lease | None = None,
    ) -> None:
        self.fmt, self.outputs, self.idle = fmt, outputs, idle
        self.store = playout or Playout()
        self.client = client or control.streamer_client()
        self.lease = lease or Lease(self.client)
        self.inbox = control.Inbox(self.client)
        self.journal = Journal(self.client)
        self.playout = self._new_playout()
        self.publisher = StatePublisher(self.client)
        self.preview = PreviewWriter(Path(settings.MEDIA_ROOT) / PREVIEW_FRAME, every=fmt.fps)
        self.pacer = Pacer(fmt.fps)
        self.encoder: StreamEncoder | None = None
        self.frame = 0  # frames sent since the streamer started; never reset
        self.paused = False
        self.reconnects = 0
        self.underruns = 0
        self.now_playing: dict[str, Any] | None = None
        self._skip = False
        self._backoff = BACKOFF_FIRST
        self._session_started = time.monotonic()
        self.session_seconds = settings.STREAM_SESSION_HOURS * 3600
        self.rotations = 0
        self._batch = max(1, fmt.fps // 5)  # commands are read about 5 times a second
        # Frames of dissolve from the idle loop into a clip (a quarter second by default).
        self._fade = max(1, fmt.fps // 4) if fade_frames is None else fade_frames
        self.idle_offset = 0  # the idle loop shows pose (frame - idle_offset)

    def _new_playout(self) -> PlayoutThread:
        fmt, engine = self.fmt, self.idle.engine
        return PlayoutThread(
            self.store, fmt, lambda clip: clip_drawing(clip, fmt, engine), refresh=PLAYOUT_REFRESH,
            lease=self.lease, journal=self.journal,
        )  # fmt: skip

    # -- the loop
    def run(self, stop: threading.Event) -> None:
        """Stands by until the lease is ours, broadcasts while it is, and again; until `stop`."""
        try:
            while not stop.is_set() and self.lease.wait(stop):
                self._on_air(stop)
        finally:
            self._shutdown()

    def _on_air(self, stop: threading.Event) -> None:
        """One turn as the studio's broadcaster: from taking the lease until `stop`, or until
        another streamer holds it (this one then stops its encoder and stands by again)."""
        log.info("on air as %s: streaming %dx%d@%d to %s", self.lease.name, self.fmt.width, self.fmt.height,
                 self.fmt.fps, self.outputs.describe())  # fmt: skip
        self.lease.start_renewing()
        self.inbox.start()  # the broadcaster's alone: a standby leaves the commands to it
        if self.playout.started:  # a second turn: nothing of the first one is carried over
            self.playout = self._new_playout()
        self.playout.start()
        try:
            while not stop.is_set() and not self.lease.lost.is_set():
                self._take_commands()
                self._rotate_if_due()
                plan = None if self.paused else self.playout.next_clip()
                if plan is None:
                    # A fifth of a second of idle, then look again: the playout thread has the
                    # next clip ready in memory the moment its first segment is.
                    self._play_idle(self._batch, stop)
                else:
                    self._air(plan, stop)
        finally:
            self._off_air()

    def _idle_picture(self) -> np.ndarray:
        return self.idle.frame(self.frame - self.idle_offset)

    def _play_idle(self, n: int, stop: threading.Event) -> None:
        for _ in range(n):
            if stop.is_set():
                return
            self._emit(self._idle_picture(), self.idle.silence(self._samples()), stop)

    def _air(self, plan: Plan, stop: threading.Event) -> None:
        clip_id, attempt = plan.pk, plan.attempt
        started_at = timezone.now()  # the airing's mark on its clip (reports.py)
        self.playout.report(Report(STARTED, clip_id, attempt, started_at=started_at))
        source = ClipSource(
            self.fmt,
            lambda index: self.playout.segment_path(clip_id, attempt, index),
            lambda: self.playout.still_building(clip_id, attempt),
            plan.drawing,
        )
        total = plan.duration or 0.0
        self.now_playing = {
            "clip": clip_id,
            "question": plan.question,
            "viewer": plan.viewer,
            "aired_count": plan.aired_count,
            "elapsed": 0.0,
            "remaining": total,
        }
        log.info("on air: clip %s attempt %s", clip_id, attempt)
        self._skip = False
        ended = skipped = False
        try:
            while not stop.is_set():
                if source.frames_taken % self._batch == 0:
                    if self.lease.lost.is_set():
                        break  # another streamer is the broadcaster now: it airs this answer
                    self._take_commands()
                    if plan.duration is None:  # aired while building: its length is still growing
                        total = max(total, self.playout.total_seconds(clip_id, attempt))
                frame = source.next_frame()
                if frame is None:
                    ended = True
                    break
                if isinstance(frame, str):  # WAIT: the build fell behind after all
                    self.underruns += 1
                    self._emit(self._idle_picture(), self.idle.silence(self._samples()), stop)
                    continue
                if source.frames_taken <= self._fade:
                    # Clips start from the character's pose at frame 0, the idle loop is
                    # wherever it is: dissolve over a few frames rather than jump.
                    frame = crossfade(self._idle_picture(), frame, source.frames_taken / (self._fade + 1))
                audio = source.fade_out_now(self._samples()) if self._skip else source.take_audio(
                    self._samples())  # fmt: skip
                self._emit(frame, audio, stop)
                if self._skip:
                    log.info("clip %s skipped", clip_id)
                    skipped = True
                    break
                elapsed = source.frames_taken / self.fmt.fps
                self.now_playing.update(elapsed=elapsed, remaining=max(0.0, total - elapsed))
        finally:
            # Clip frame k is the character's pose k: the idle loop carries on from the pose the
            # clip ended on, so the cut back to it needs no dissolve.
            self.idle_offset = self.frame - source.frames_taken
            self.now_playing = None
            self.playout.report(self._airing_end(plan, source, started_at, ended, skipped), last=True)

    def _airing_end(
        self, plan: Plan, source: ClipSource, started_at: datetime, ended: bool, skipped: bool
    ) -> Report:
        """What the lifecycle hears when an airing stops: counted only if it played to its end."""
        clip_id, attempt = plan.pk, plan.attempt
        if source.broken:  # lost or corrupt media: built again, never counted
            return Report(BROKEN, clip_id, attempt, started_at=started_at, reason=source.broken)
        if source.error:
            self.playout.pick_failed(clip_id, attempt, source.error)
        elif ended or skipped:
            return Report(AIRED, clip_id, attempt, started_at=started_at, skipped=skipped,
                          segments=source.segments_played)  # fmt: skip
        # Stopping mid-clip (or its drawing failed): the whole answer airs later.
        return Report(ABANDONED, clip_id, attempt, started_at=started_at)

    def _rotate_if_due(self) -> None:
        """Twitch ends a broadcast after 48 hours: start a fresh one between two answers first."""
        if self.encoder is None or time.monotonic() - self._session_started < self.session_seconds:
            return
        log.info("starting a fresh broadcast session after %.1f h", self.session_seconds / 3600)
        self.encoder.close(timeout=10)
        self.encoder = None  # the next frame starts a new encoder (a new RTMP session)
        self.rotations += 1

    # -- frames into the encoder
    def _samples(self) -> int:
        return samples_for_frame(self.frame, self.fmt.sample_rate, self.fmt.fps)

    def _emit(self, frame: np.ndarray, pcm: bytes, stop: threading.Event) -> None:
        """Write one frame on time; across an encoder restart if need be (the frame is not lost)."""
        self.pacer.wait(self.frame)
        while not stop.is_set():
            encoder = self._live_encoder(stop)
            if encoder is None:
                return
            try:
                encoder.write(frame, pcm)
                break
            except EncoderDied as exc:
                log.warning("encoder died: %s", exc)
                encoder.close(timeout=2)
        else:
            return
        self.preview.offer(self.frame, frame)
        self.frame += 1
        if self.encoder is not None and self.encoder.frames_written == round(BACKOFF_RESET * self.fmt.fps):
            self._backoff = BACKOFF_FIRST  # it has been on air a while: the next failure retries fast
        if self.publisher.due():
            self.publisher.publish(self.state())

    def _live_encoder(self, stop: threading.Event) -> StreamEncoder | None:
        if self.encoder is not None and self.encoder.alive:
            return self.encoder
        if self.encoder is not None:  # it died: wait, then start again
            self.encoder = None
            self.reconnects += 1
            log.info("restarting the encoder in %.1f s", self._backoff)
            if stop.wait(self._backoff):
                return None
            self._backoff = min(self._backoff * 2, BACKOFF_CAP)
        encoder = StreamEncoder(self.fmt, self.outputs)
        self._session_started = time.monotonic()
        try:
            encoder.start()
        except EncoderDied as exc:
            log.error("%s", exc)
        self.encoder = encoder
        self.pacer.restart(self.frame)  # the outage is not "behind": frames carry on from here
        return encoder

    # -- commands and state
    def _take_commands(self) -> None:
        for item in self.inbox.take():
            command = item["command"]
            log.info("command: %s", command)
            if command == "skip":
                self._skip = self.now_playing is not None
            elif command in ("pause", "resume"):
                self.paused = command == "pause"
            elif command == "reair" and isinstance(item.get("clip"), int):
                self.playout.request_reair(item["clip"])

    def state(self) -> dict[str, Any]:
        encoder = self.encoder
        return {
            "on_air": encoder is not None and encoder.alive,
            "holder": self.lease.name,  # host/pid: which streamer broadcasts (others stand by)
            "output": self.outputs.describe(),
            "paused": self.paused,
            "now_playing": dict(self.now_playing) if self.now_playing else None,
            "queue": self.playout.upcoming(),
            "health": {
                "fps": round(self.pacer.achieved_fps, 2),
                "target_fps": self.fmt.fps,
                "frames_behind": self.pacer.frames_behind,
                "encoder_speed": encoder.speed if encoder else None,
                "reconnects": self.reconnects,
                "sessions_rotated": self.rotations,
                "database": "ok" if self.playout.db_ok else "unreachable (the stream goes on)",
                "underruns": self.underruns,
                "frames": self.frame,
            },
            "updated_at": time.time(),
        }

    def _off_air(self) -> None:
        lost = self.lease.lost.is_set()
        self.inbox.stop()
        self.playout.stop(timeout=0.5 if lost else 10)
        if self.encoder is not None:
            code = self.encoder.close()
            log.info("encoder finished (exit status %s) after %d frames", code, self.frame)
            self.encoder = None
        self.now_playing = None
        if lost:
            self.lease.stop_renewing()
            log.info("standing by: %s broadcasts now", self.lease.taken_by or "another streamer")
            return
        final = self.state()
        final["on_air"] = False
        self.publisher.publish(final)  # before the lease goes: a standby taking over writes after
        self.lease.release()

    def _shutdown(self) -> None:
        self.publisher.close()
        connection.close()


def crossfade(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """(1 - t)·a + t·b for uint8 frames, in integer arithmetic (a few ms at 720p)."""
    w = np.uint16(round(min(max(t, 0.0), 1.0) * 256))
    mixed = a.astype(np.uint16) * (np.uint16(256) - w) + b.astype(np.uint16) * w
    return (mixed >> 8).astype(np.uint8)
