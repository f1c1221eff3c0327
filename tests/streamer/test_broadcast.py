"""The streamer end to end: a real RTMP server records what one long-lived encoder sends while
clips air between idle periods."""

from __future__ import annotations

import time

import numpy as np
import pytest

from aijesus.studio.models import Clip, Question
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import (
    RtmpServer,
    appearing_together,
    colour_runs,
    encode_segments,
    free_port,
    make_clip,
    read_recording,
    solid,
    streaming,
    tone,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RED, BLUE = (220, 40, 40), (40, 60, 220)


def wait_for(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


@pytest.fixture(scope="module")
def broadcast(django_db_setup, django_db_blocker, tmp_path_factory, idle):
    """Idle 1 s, then two clips (the higher priority first), then idle again; all recorded, by the
    RTMP server and in the local preview at once (one encode through ffmpeg's tee muxer)."""
    from django.conf import settings

    root = tmp_path_factory.mktemp("media")
    old_root, settings.MEDIA_ROOT = settings.MEDIA_ROOT, root
    server = RtmpServer(free_port(), root / "recorded.flv")
    # Red: two segments of half a second, low priority. Blue: one second, high priority. Encoded
    # before the stream starts, so nothing competes with it for the CPU while it runs.
    red_files = encode_segments(
        root, [(solid(RED, 15, SMALL), tone(0.5, 440)), (solid(RED, 15, SMALL), tone(0.5, 440))], SMALL, "red"
    )
    blue_files = encode_segments(root, [(solid(BLUE, 30, SMALL), tone(1.0, 660))], SMALL, "blue")
    second = SMALL.fps  # frames
    try:
        with django_db_blocker.unblock():
            from aijesus.studio.models import Persona
            from aijesus.studio.seed import seed_studio

            seed_studio(owner="seed-owner")
            persona = Persona.objects.active()
            with streaming(SMALL, server.url, idle, preview=root / "preview") as streamer:
                # Counted in frames sent, not seconds waited: the encoder's start-up time varies.
                assert wait_for(lambda: streamer.frame >= second, 10), "no idle second before the clips"
                # Red is made first, yet both appear at once: the streamer must choose by priority.
                with appearing_together():
                    red = make_clip(persona, root, red_files, SMALL, priority=1)
                    blue = make_clip(persona, root, blue_files, SMALL, priority=5)
                assert wait_for(lambda: Clip.objects.get(pk=red.pk).aired_count == 1, 15)
                assert wait_for(lambda: streamer.now_playing is None, 5)
                # Idle again for longer than the 2 s over which the streamer reckons its frame
                # rate, so the health read below is steady idle, not a catch-up after the switch.
                after_clips = streamer.frame
                assert wait_for(lambda: streamer.frame >= after_clips + 5 * second // 2, 10), "no idle after"
                state = streamer.state()
            err = server.finish()
            red.refresh_from_db(), blue.refresh_from_db()
            yield {
                "recording": read_recording(server.out), "red": red, "blue": blue, "state": state,
                "server_err": err, "preview": root / "preview",
                "questions": list(Question.objects.values_list("status", flat=True)),
            }  # fmt: skip
            Clip.objects.all().delete()
            Question.objects.all().delete()
    finally:
        settings.MEDIA_ROOT = old_root
        if server.proc.poll() is None:
            server.kill()


def test_it_airs_the_higher_priority_clip_first_between_idle_periods(broadcast):
    runs = colour_runs(broadcast["recording"].frames, {"red": RED, "blue": BLUE})
    names = [name for name, _ in runs]
    assert names == ["idle", "blue", "red", "idle"], runs
    # Every frame of each clip airs once: nothing dropped or doubled at a segment or clip boundary.
    assert dict(runs[1:3]) == {"blue": 30, "red": 30}


def test_video_timestamps_rise_one_frame_at_a_time_with_no_gap_at_any_switch(broadcast):
    pts = broadcast["recording"].video_pts
    steps = set(np.diff(pts).tolist())
    assert steps <= {33, 34}, steps  # 1000/30 ms rounded by FLV's millisecond time base
    assert (pts[-1] - pts[0]) / (len(pts) - 1) == pytest.approx(1000 / 30, abs=0.05)


def test_audio_packets_follow_each_other_without_a_gap(broadcast):
    rec = broadcast["recording"]
    steps = set(np.diff(rec.audio_pts).tolist())
    assert steps <= {21, 22}, steps  # 1024 samples at 48 kHz
    # The audio lasts as long as the video: they were fed in lockstep.
    audio_end = len(rec.audio_pts) * 1024 / 48
    video_end = len(rec.video_pts) * 1000 / 30
    assert abs(audio_end - video_end) < 50


def test_the_clip_audio_plays_with_its_pictures_and_the_idle_loop_is_silent(broadcast):
    rec = broadcast["recording"]
    runs = colour_runs(rec.frames, {"red": RED, "blue": BLUE})
    clip_start = rec.frame_times[runs[0][1]]
    clip_end = rec.frame_times[runs[0][1] + 60]
    loud = np.flatnonzero(np.abs(rec.audio) > 0.05) / rec.sample_rate
    # AAC adds its priming delay in FLV: allow a couple of frames.
    assert loud[0] == pytest.approx(clip_start, abs=0.08)
    assert loud[-1] == pytest.approx(clip_end, abs=0.08)


def test_keyframes_come_every_two_seconds(broadcast):
    keys = broadcast["recording"].keyframe_pts
    assert len(keys) >= 3
    assert set(np.diff(keys).tolist()) <= {1999, 2000, 2001}


def test_each_clip_is_counted_as_aired_once_and_its_question_is_aired(broadcast):
    assert broadcast["red"].aired_count == 1 and broadcast["blue"].aired_count == 1
    assert broadcast["questions"] == ["aired", "aired"]


def test_it_reports_health_while_on_air(broadcast):
    health = broadcast["state"]["health"]
    assert broadcast["state"]["on_air"] is True
    assert health["fps"] == pytest.approx(30, abs=2)
    assert health["reconnects"] == 0
    assert "****" in broadcast["state"]["output"] and "live_test" not in broadcast["state"]["output"]


def test_the_local_preview_is_written_from_the_same_encode(broadcast):
    playlist = (broadcast["preview"] / "stream.m3u8").read_text()
    segments = [line for line in playlist.splitlines() if line.endswith(".ts")]
    assert len(segments) >= 2
    runs = colour_runs(read_recording(broadcast["preview"] / segments[-1]).frames, {"red": RED})
    assert runs  # decodable pictures


def test_the_dashboard_preview_frame_is_kept_fresh(broadcast):
    from PIL import Image

    from streamer.preview import PREVIEW_FRAME, PREVIEW_WIDTH

    frame = broadcast["preview"].parent / PREVIEW_FRAME
    with Image.open(frame) as image:
        assert image.format == "JPEG" and image.width == PREVIEW_WIDTH
