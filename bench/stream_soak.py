"""Soak (issue 13): hours of stream through the streamer's real loop, faster than real time, then
what the recording shows.

`streamer.runner.Streamer` runs as `manage.py stream` runs it - its playout thread on the real
`Playout` over clips in the (throw-away) database, the lifecycle told of every airing, commands
and state on Redis, one real `StreamEncoder` (ffmpeg) for the whole run - except for two things:

- it is not paced: its `Pacer` runs on a clock that moves only when the pacer waits, so each
  frame is due the moment the loop gets to it and the run goes as fast as the machine allows.
  The stream's timestamps come from the frame counter alone, so they are those of a paced run;
- the output is an FLV file (no key, so ffmpeg writes it itself), at a small size (160x90@30).

The answers are spread over the run as questions would arrive: answer k may start a quarter of
the way into its share of the run (length / answers), and a second after the one before ended at
the soonest (the playout is the real one, with a gate in front of `next_clip`). They are
solid-colour pictures with a tone, 1 to 7.5 s long, made of one to three segments encoded as the
builder encodes them, so that segment boundaries are crossed too. No dissolve into them
(fade_frames=0): their first frame is then exactly one frame of the recording.

Then `bench.soak_check` reads the recording: timestamp gaps and order, the end of the audio
against the end of the video, and each answer's audio onset against its first frame.

Run: `python -m bench stream_soak` (6 hours of stream, 300 answers). For a quick run set
STREAM_SOAK_HOURS (e.g. 0.1) or STREAM_SOAK_DURATION ("20m", "6h", "90s") and optionally
STREAM_SOAK_ANSWERS, or `python -m bench stream_soak --duration 20m`.

With faults (issue 24): `python -m bench stream_soak --faults --duration 24h [--seed N]`
(STREAM_SOAK_FAULTS=1, STREAM_SOAK_SEED, default 24) runs the whole studio on air in real time
for the duration instead, injecting the fault matrix's faults at random: bench/faults/soak.py.
Its recordings are deleted afterwards unless STREAM_SOAK_KEEP=1.
"""

from __future__ import annotations

import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from builder.media import MediaFormat
from streamer.sources import IdleSource

HOURS = 6.0
ANSWERS = 300
SECONDS_PER_ANSWER_MIN = 60.0  # a shorter run gets fewer answers, so that each has room
SEGMENT_SECONDS = (1.0, 2.5, 4.0)
CLIPS = ((0,), (1, 0), (2,), (0, 2, 1), (1,), (2, 0))  # which segments each clip plays, in turn
ANSWER_RGB = (40, 200, 70)  # far from every colour of the idle character
TONE_HZ = 440.0
GOAL_OFFSET_FRAMES = 1.0


class StreamClock:
    """Time that passes only when the pacer waits on it: every frame is due at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


FAULTS_HOURS = 24.0
FAULTS_SEED = 24


def duration_seconds(text: str) -> float:
    """Seconds in "90s", "20m", "6h", "1.5h" or a plain number of seconds."""
    text = text.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600}.get(text[-1:])
    try:
        return float(text[:-1]) * scale if scale else float(text)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (e.g. 90s, 20m, 24h)") from None


def run() -> dict[str, Any]:
    duration = os.environ.get("STREAM_SOAK_DURATION", "")
    if os.environ.get("STREAM_SOAK_FAULTS") == "1":
        return _with_faults(duration_seconds(duration) if duration else FAULTS_HOURS * 3600)
    hours = float(os.environ.get("STREAM_SOAK_HOURS", HOURS))
    seconds = duration_seconds(duration) if duration else hours * 3600
    answers = int(os.environ.get("STREAM_SOAK_ANSWERS", min(ANSWERS, int(seconds // SECONDS_PER_ANSWER_MIN))))
    from django.conf import settings
    from django.test import override_settings

    layers = {"default": {**settings.CHANNEL_LAYERS["default"]}}
    # Its own Redis keys: a streamer running on this machine keeps its commands and state.
    config = {**layers["default"].get("CONFIG", {}), "prefix": f"bench-soak-{os.getpid()}"}
    layers["default"]["CONFIG"] = config
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        root = Path(tmp)
        with override_settings(MEDIA_ROOT=str(root / "media"), CHANNEL_LAYERS=layers):
            return _soak(root, seconds, answers)


def _with_faults(seconds: float) -> dict[str, Any]:
    """The whole studio in real time with faults injected at random (bench/faults/soak.py)."""
    import shutil

    from bench.faults import soak

    figures = soak.run(seconds, int(os.environ.get("STREAM_SOAK_SEED", FAULTS_SEED)))
    if os.environ.get("STREAM_SOAK_KEEP") != "1":
        shutil.rmtree(figures.pop("root"), ignore_errors=True)
    return {"mode": "faults, real time", **figures}


def _soak(root: Path, seconds: float, answers: int) -> dict[str, Any]:
    from aijesus.studio.models import Clip
    from aijesus.studio.seed import seed_studio
    from bench.soak_check import check
    from builder.avatar.loader import load_sprite_avatar
    from builder.lipsync.sprite import SpriteLipSync
    from streamer.config import TWITCH_720P

    # Twitch's encoder settings at a size that lets hours of stream encode in minutes.
    fmt = replace(TWITCH_720P, width=160, height=90, fps=30, video_bitrate="64k", audio_bitrate="64k")
    seed_studio(owner="bench-owner")
    (root / "media").mkdir()
    segments = _encode_segments(root / "media", fmt)
    _make_clips(answers, segments)
    idle = IdleSource(fmt, SpriteLipSync(fmt, load_sprite_avatar("Soak", root / "sprites", fmt)))
    total_frames = round(seconds * fmt.fps)
    slots = [round((k + 0.25) * total_frames / max(answers, 1)) for k in range(answers)]
    recording = root / "soak.flv"
    streamed = _stream(fmt, recording, idle, slots, total_frames)
    checked = time.perf_counter()
    figures = check(recording, fmt.fps, fmt.sample_rate, ANSWER_RGB)
    checked = time.perf_counter() - checked
    figures["answers"].pop("first_frames")
    frame_ms = 1000 / fmt.fps
    offsets = [figures["answers"][k] for k in ("start_offset_ms", "end_offset_ms")]
    within = GOAL_OFFSET_FRAMES * frame_ms
    aired = Clip.objects.filter(aired_count__gte=1).count()
    answers_found = figures["answers"]["found"]
    return {
        "format": f"{fmt.width}x{fmt.height}@{fmt.fps} {fmt.preset} {fmt.video_bitrate} CBR"
        f" + AAC {fmt.audio_bitrate}",
        "stream_hours": round(streamed["frames"] / fmt.fps / 3600, 3),
        "answers_scheduled": answers,
        "answers_aired": aired,
        **streamed,
        "recording_mb": round(recording.stat().st_size / 1e6, 1),
        "check_seconds": round(checked, 1),
        "recording": figures,
        "goals": {"av_offset_frames": GOAL_OFFSET_FRAMES, "gaps": 0},
        "met": {
            "av_offset_within_a_frame": all(
                o is not None and max(abs(o["min"]), abs(o["max"])) <= within for o in offsets
            ),
            "end_drift_within_a_frame": abs(figures["end_drift_ms"]) <= within,
            "no_gaps": figures["video"]["gaps"] == 0 and figures["audio"]["gaps"] == 0,
            "monotonic": figures["video"]["not_increasing"] == 0 and figures["audio"]["not_increasing"] == 0,
            "every_frame_recorded": figures["video"]["frames_decoded"] == streamed["frames"],
            "every_answer_found": answers_found == aired and not figures["answers"]["unmatched"],
        },
    }


def _encode_segments(media: Path, fmt: MediaFormat) -> list[tuple[str, float]]:
    """The segment files all clips share: (name under MEDIA_ROOT, seconds)."""
    from builder.encode.segment import encode_segment

    (media / "soak").mkdir()
    made = []
    for index, seconds in enumerate(SEGMENT_SECONDS):
        n = round(seconds * fmt.fps)
        frames = (np.full((fmt.height, fmt.width, 3), ANSWER_RGB, np.uint8) for _ in range(n))
        t = np.arange(round(seconds * fmt.sample_rate)) / fmt.sample_rate
        tone = np.round(0.4 * 32767 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)
        name = f"soak/segment-{index}.mp4"
        info = encode_segment(frames, tone, fmt.sample_rate, media / name, fmt)
        made.append((name, info.duration))
    return made


def _make_clips(n: int, segments: list[tuple[str, float]]) -> None:
    """`n` ready clips, as a worker leaves them: approved, claimed, segments recorded, finished."""
    from django.db import transaction

    from aijesus.studio import lifecycle
    from aijesus.studio.services import question_approve, question_submit

    # No build task is sent: these clips are built already.
    with mock.patch.object(lifecycle, "send"):
        for k in range(n):
            with transaction.atomic():
                question = question_submit(text=f"Soak question {k}?", viewer_name=f"viewer{k}")
                clip = question_approve(question=question)
                claim = lifecycle.claim(clip_id=clip.pk, worker="bench-soak")
                assert claim is not None
                parts = [segments[i] for i in CLIPS[k % len(CLIPS)]]
                for index, (name, seconds) in enumerate(parts):
                    lifecycle.record_segment(
                        clip_id=clip.pk, attempt=claim.attempt, index=index, media=name,
                        duration=seconds, text="",
                    )  # fmt: skip
                lifecycle.finish(clip_id=clip.pk, attempt=claim.attempt, duration=sum(s for _, s in parts))


def _scheduled_playout(slots: list[int], streamer: Callable[[], Any], fps: int) -> Any:
    """The real playout behind a gate: the k-th new answer only from stream frame slots[k] on, and
    never sooner than a second after the one before has played (the check tells answers apart by
    the idle frames and the silence between them)."""
    from streamer.playout import Playout

    class Scheduled(Playout):
        def __init__(self) -> None:
            super().__init__()
            self.handed: set[int] = set()
            self.free_from = 0  # stream frame

        def next_clip(self, *args: Any, **kwargs: Any) -> Any:
            clip = super().next_clip(*args, **kwargs)
            if clip is None or clip.pk in self.handed:
                return clip  # one handed out already (the playout thread may ask twice)
            current = streamer()
            if current is None or len(self.handed) >= len(slots) or current.now_playing is not None:
                return None
            if current.frame < max(slots[len(self.handed)], self.free_from):
                return None
            self.handed.add(clip.pk)
            # It goes on air within a fraction of a second of stream time and lasts its duration.
            self.free_from = current.frame + round(((clip.duration or 0.0) + 1.0) * fps) + fps
            return clip

    return Scheduled()


def _stream(
    fmt: MediaFormat, recording: Path, idle: IdleSource, slots: list[int], total_frames: int
) -> dict[str, Any]:
    from aijesus.studio import lifecycle
    from streamer.outputs import Outputs
    from streamer.pacing import Pacer
    from streamer.runner import Streamer

    holder: list[Any] = []
    store = _scheduled_playout(slots, lambda: holder[0] if holder else None, fmt.fps)
    streamer = Streamer(fmt, Outputs(rtmp_url=str(recording)), idle, playout=store, fade_frames=0)
    holder.append(streamer)
    # Unpaced: without this the run would take its hours. Fail loudly if the streamer stops having a
    # pacer to replace, rather than soak for six real hours.
    if not isinstance(getattr(streamer, "pacer", None), Pacer):
        raise RuntimeError("Streamer.pacer is not a Pacer any more: the soak cannot run unpaced")
    clock = StreamClock()
    streamer.pacer = Pacer(fmt.fps, clock=clock.time, sleep=clock.sleep)

    # Which answers the lifecycle counted as aired, as the streamer reports them: the run ends
    # once the stream time is up and all have aired.
    aired: set[int] = set()
    count_aired = lifecycle.aired

    def counting(*args: Any, **kwargs: Any) -> Any:
        counted = count_aired(*args, **kwargs)
        if counted:
            aired.add(kwargs.get("clip_id", args[0] if args else None))
        return counted

    limit = total_frames + total_frames // 5 + 60 * fmt.fps
    stop = threading.Event()
    thread = threading.Thread(target=streamer.run, args=(stop,), name="soak-streamer")
    own, children = time.process_time(), _children_cpu()
    wall = time.perf_counter()
    with mock.patch.object(lifecycle, "aired", counting):
        thread.start()
        while thread.is_alive():
            # The end; or, past the limit, an answer that never aired must not keep the run going.
            if (streamer.frame >= total_frames and len(aired) >= len(slots)) or streamer.frame >= limit:
                stop.set()
            thread.join(0.2)
    wall = time.perf_counter() - wall
    own, children = time.process_time() - own, _children_cpu() - children
    stream_seconds = streamer.frame / fmt.fps
    return {
        "frames": streamer.frame,
        "wall_seconds": round(wall, 1),
        "speed_x_real_time": round(stream_seconds / wall, 1),
        "cpu_per_stream_second": round((own + children) / stream_seconds, 4),
        "reconnects": streamer.reconnects,
        "underruns": streamer.underruns,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.stream_soak", description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, help=f"stream time (default {HOURS})")
    parser.add_argument("--answers", type=int, help=f"answers (default {ANSWERS}, fewer in a short run)")
    parser.add_argument("--duration", help="stream time, e.g. 20m, 24h (with --faults: real time)")
    parser.add_argument("--faults", action="store_true", help="the whole studio with faults at random")
    parser.add_argument("--seed", type=int, help=f"the faults' random seed (default {FAULTS_SEED})")
    args = parser.parse_args()
    if args.hours is not None:
        os.environ["STREAM_SOAK_HOURS"] = str(args.hours)
    for flag, name in ((args.duration, "DURATION"), (args.seed, "SEED")):
        if flag is not None:
            os.environ[f"STREAM_SOAK_{name}"] = str(flag)
    if args.faults:
        os.environ["STREAM_SOAK_FAULTS"] = "1"
    if args.answers is not None:
        os.environ["STREAM_SOAK_ANSWERS"] = str(args.answers)
    from bench.__main__ import main

    raise SystemExit(main(["stream_soak"]))
