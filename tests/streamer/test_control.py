"""Commands reach a running streamer (here writing only the local HLS preview): pause, resume,
skip, re-air; and it publishes its state for the dashboard."""

from __future__ import annotations

import threading

import av
import pytest

from aijesus.studio.models import Clip
from streamer import control
from streamer.outputs import Outputs
from streamer.runner import Streamer
from streamer.state import read_state
from tests.streamer.conftest import SMALL
from tests.streamer.helpers import make_clip, solid, tone
from tests.streamer.test_broadcast import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECOND = SMALL.fps  # frames


def _published(client, condition) -> bool:
    state = read_state(client)
    return state is not None and bool(condition(state))


def _playing_for(streamer: Streamer, seconds: float) -> bool:
    playing = streamer.now_playing
    return playing is not None and playing["elapsed"] >= seconds


def _skip_cuts_the_clip_short(streamer: Streamer) -> int:
    """Skips the clip on air; it must end before the rest of it could have played. Counted in
    frames the streamer sent, so a slow machine makes the test wait longer, not fail. Returns the
    frame count once it ended."""
    playing, sent = streamer.now_playing, streamer.frame
    left = round(playing["remaining"] * SMALL.fps)
    assert left > SECOND, playing
    control.send("skip")
    assert wait_for(lambda: streamer.now_playing is None, 10)
    assert streamer.frame - sent < left, "the clip played to its end: the skip was not taken"
    return streamer.frame


def test_it_pauses_resumes_skips_and_re_airs_on_command_and_publishes_its_state(persona, media_root, idle):
    client = control.redis_client()
    client.delete(control.control_key(), control.state_key())
    clip = make_clip(persona, media_root, [(solid((200, 40, 40), 150, SMALL), tone(5.0, 440))], SMALL)
    control.send("pause")
    streamer = Streamer(SMALL, Outputs(preview_dir=media_root / "preview"), idle)
    stop = threading.Event()
    thread = threading.Thread(target=streamer.run, args=(stop,))
    thread.start()
    try:
        # Paused: the streamer lists the clip in its published queue and keeps to the idle loop.
        assert wait_for(lambda: _published(client, lambda st: st["paused"] and st["queue"]), 10)
        assert read_state(client)["queue"][0]["clip"] == clip.pk
        assert wait_for(lambda: streamer.frame >= SECOND, 10)
        assert streamer.now_playing is None and Clip.objects.get(pk=clip.pk).aired_count == 0

        control.send("resume")
        assert wait_for(lambda: streamer.now_playing is not None, 5)
        assert wait_for(lambda: _playing_for(streamer, 0.5), 5)
        state = streamer.state()
        assert state["now_playing"]["clip"] == clip.pk and state["now_playing"]["question"] == "a question"
        _skip_cuts_the_clip_short(streamer)

        control.send("reair", clip=clip.pk)
        assert wait_for(lambda: streamer.now_playing is not None, 5)
        skipped_at = _skip_cuts_the_clip_short(streamer)
        # An airing is counted when it ends (a skipped one too): the re-air makes two.
        assert wait_for(lambda: Clip.objects.get(pk=clip.pk).aired_count == 2, 5)
        # A state published while still on air, over 2 s after the skip: the frame rate it reports
        # (reckoned over 2 s) is then steady idle, not the catch-up after a switch.
        steady = skipped_at + 5 * SECOND // 2
        assert wait_for(
            lambda: _published(
                client, lambda st: st["now_playing"] is None and st["health"]["frames"] > steady
            ),
            10,
        )
        published = read_state(client)
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()
    assert published["on_air"] and published["health"]["fps"] == pytest.approx(30, abs=2)
    assert read_state(client)["on_air"] is False  # the last word of a clean stop

    playlist = (media_root / "preview" / "stream.m3u8").read_text()
    segments = [line for line in playlist.splitlines() if line.endswith(".ts")]
    assert segments and "#EXT-X-TARGETDURATION:2" in playlist
    with av.open(str(media_root / "preview" / segments[-1])) as container:
        assert len(list(container.decode(video=0))) > 0
