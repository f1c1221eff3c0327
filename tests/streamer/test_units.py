"""The parts without a running stream: playout order, early start, key masking, pacing, commands."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from aijesus.studio import lifecycle
from aijesus.studio.models import Clip, Question
from builder.media import MediaFormat
from streamer import control
from streamer.encoder import StreamEncoder, child_env, encoder_args
from streamer.outputs import Outputs, mask
from streamer.pacing import Pacer, samples_for_frame
from streamer.playout import Playout, can_start_early

KEY = "live_123456789_secretSECRET"


def _clip(persona, *, priority, approved_ago, status=Clip.S.READY, aired=0, started_ago=None):
    now = timezone.now()
    question = Question.objects.create(
        viewer_name="v", text=f"p{priority}", original_text="q", priority=priority, status=Question.S.READY,
        moderated_at=now - timedelta(seconds=approved_ago),
    )  # fmt: skip
    started = now - timedelta(seconds=started_ago) if started_ago is not None else now
    return Clip.objects.create(
        question=question, persona_version=persona.latest_version(), status=status, aired_count=aired,
        started_at=started, attempt=1,
    )  # fmt: skip


@pytest.mark.django_db
def test_new_answers_go_by_priority_then_approval_time_then_re_air_requests(persona):
    late_high = _clip(persona, priority=5, approved_ago=10)
    early_high = _clip(persona, priority=5, approved_ago=60)
    low = _clip(persona, priority=1, approved_ago=600)
    aired = _clip(persona, priority=9, approved_ago=5, aired=1)
    _clip(persona, priority=9, approved_ago=5, status=Clip.S.FAILED)
    playout = Playout()
    playout.request_reair(aired.pk)
    removed = _clip(persona, priority=9, approved_ago=5, aired=1)
    Clip.objects.filter(pk=removed.pk).update(media_removed_at=timezone.now())  # disk budget
    playout.request_reair(removed.pk)
    order = []
    while (clip := playout.next_clip()) is not None:
        order.append(clip.pk)
        lifecycle.aired(clip_id=clip.pk, attempt=clip.attempt, started_at=timezone.now())
    assert order == [early_high.pk, late_high.pk, low.pk, aired.pk]
    assert [item["clip"] for item in Playout().upcoming()] == []


@pytest.mark.django_db
def test_a_building_clip_waits_while_its_build_is_slower_than_real_time_and_a_ready_one_goes_first(
    persona, media_root
):
    from aijesus.studio.models import Segment

    building = _clip(persona, priority=9, approved_ago=5, status=Clip.S.BUILDING, started_ago=10)
    ready = _clip(persona, priority=1, approved_ago=5)
    Segment.objects.create(clip=building, index=0, media="segments/x.mp4", duration=3.0)
    assert Playout().next_clip() == ready  # 3 s of media in 10 s of build: it would stall


def test_the_early_start_rule_follows_the_builds_pace():
    now = timezone.now()
    ago = lambda seconds: now - timedelta(seconds=seconds)  # noqa: E731
    # A steady fast build (speech segments: 4 s of answer in 0.2 s) starts at its first segment.
    assert can_start_early(4.0, ago(0.2), now, next_segment=4.0)
    # A build at 1.1x real time waits: the next 4 s sentence would not be there in time...
    assert not can_start_early(4.4, ago(4.0), now, next_segment=4.0)
    # ... until it is far enough ahead (66 s made in 60 s covers another 4 s, with the margin).
    assert can_start_early(66.0, ago(60.0), now, next_segment=4.0)
    # Slower than real time: never early; too little ready, or no start yet: not either.
    assert not can_start_early(9.0, ago(10.0), now, next_segment=1.0)
    assert not can_start_early(0.5, ago(0.01), now, next_segment=0.5)
    assert not can_start_early(9.0, None, now, next_segment=1.0)
    # Margin 0: at the first lead seconds, whatever the pace.
    assert can_start_early(1.0, ago(60), now, next_segment=9.0, margin=0)


def test_the_stream_key_is_in_no_argv_and_never_in_what_is_logged(caplog, monkeypatch):
    outputs = Outputs(rtmp_url="rtmp://live.twitch.tv/app/", stream_key=KEY)
    assert outputs.publish_url == f"rtmp://live.twitch.tv/app/{KEY}"  # what the publisher alone opens
    # ffmpeg writes FLV into the publisher's pipe: neither the ingest nor the key is on its command line.
    args = encoder_args(MediaFormat(), outputs, 3, 7)
    assert args[-1] == "pipe:7" and not any(KEY in arg or "twitch" in arg for arg in args)
    with pytest.raises(ValueError):
        encoder_args(MediaFormat(), outputs, 3)  # a keyed ingest without the pipe: never the URL
    monkeypatch.setenv("STREAM_KEY", KEY)
    monkeypatch.setenv("OTHER_SETTING", "kept")
    env = child_env(outputs.secrets)
    assert "STREAM_KEY" not in env and env["OTHER_SETTING"] == "kept"
    encoder = StreamEncoder(MediaFormat(), outputs)
    assert not any(KEY in arg for arg in encoder.argv_masked)
    assert KEY not in outputs.describe()
    # ffmpeg names the URL in its errors; what the encoder logs of them is masked too.
    with caplog.at_level(logging.INFO):
        encoder._drain_stderr(iter([f"[flv] rtmp://live.twitch.tv/app/{KEY}: Broken pipe\n".encode()]))
    assert KEY not in caplog.text and "app/****" in caplog.text
    assert KEY not in encoder.why_dead()
    assert mask(f"a {KEY} b {KEY}", [KEY]) == "a **** b ****"


def test_both_outputs_are_one_encode_through_tee_with_a_preview_that_may_fail(tmp_path):
    args = Outputs(rtmp_url="rtmp://host/app", stream_key=KEY, preview_dir=tmp_path).argv("pipe:7")
    assert args[args.index("-f") + 1] == "tee"
    rtmp, hls = args[-1].split("|")
    # The RTMP branch is the publisher's pipe; the key is nowhere in the options.
    assert rtmp.startswith("[f=flv") and "onfail=abort" in rtmp and rtmp.endswith("]pipe:7")
    assert not any(KEY in arg for arg in args)
    assert "f=hls" in hls and "onfail=ignore" in hls and hls.endswith("stream.m3u8")


def test_each_frame_carries_the_samples_it_lasts_and_the_fractions_add_up():
    assert {samples_for_frame(n, 48_000, 30) for n in range(90)} == {1600}
    assert sum(samples_for_frame(n, 48_000, 29) for n in range(29 * 7)) == 48_000 * 7
    assert sum(samples_for_frame(n, 44_100, 24) for n in range(1000)) == 1000 * 44_100 // 24


def test_the_pacer_waits_for_each_frame_catches_up_when_late_and_resyncs_when_far_behind():
    now = [100.0]
    slept = []
    pacer = Pacer(30, clock=lambda: now[0], sleep=lambda s: (slept.append(s), now.__setitem__(0, now[0] + s)))
    pacer.wait(0)
    pacer.wait(3)
    assert slept[-1] == pytest.approx(0.1)
    now[0] += 0.5  # a stall: frame 4 is late by ~15 frames, written at once
    pacer.wait(4)
    assert pacer.frames_behind == 14 and len(slept) == 1
    now[0] += 5.0  # too far behind to catch up: start counting from here
    pacer.wait(5)
    assert pacer.resyncs == 1 and pacer.frames_behind == 0


def test_commands_from_the_command_line_reach_the_streamers_list(redis_url):
    client = control.redis_client()
    client.delete(control.control_key())
    call_command("stream", "--pause")
    call_command("stream", "--reair", "42")
    call_command("stream", "--skip")
    assert control.receive(client) == [
        {"command": "pause"}, {"command": "reair", "clip": 42}, {"command": "skip"},
    ]  # fmt: skip
    assert control.receive(client) == []
    with pytest.raises(ValueError):
        control.send("reboot")
