"""Commands reach a running streamer (here writing only the local HLS preview): pause, resume,
skip, re-air; and it publishes its state for the dashboard."""

from __future__ import annotations

import threading
import time

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
        time.sleep(1.5)
        assert Clip.objects.get(pk=clip.pk).aired_count == 0  # paused: idle only
        assert read_state(client)["paused"] is True
        assert read_state(client)["queue"][0]["clip"] == clip.pk

        control.send("resume")
        assert wait_for(lambda: streamer.now_playing is not None, 2)
        time.sleep(0.5)
        state = streamer.state()
        assert state["now_playing"]["clip"] == clip.pk and state["now_playing"]["question"] == "a question"
        control.send("skip")
        assert wait_for(lambda: streamer.now_playing is None, 1)  # 5 s clip cut short

        control.send("reair", clip=clip.pk)
        assert wait_for(lambda: streamer.now_playing is not None, 2)
        assert Clip.objects.get(pk=clip.pk).aired_count == 2
        control.send("skip")
        assert wait_for(lambda: streamer.now_playing is None, 1)
        time.sleep(1.1)
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
