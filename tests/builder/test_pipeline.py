"""The whole clip pipeline in-process: offline answer → espeak → drawn character → segments → MP4.

The drawn character draws live, so its answers travel as speech segments; the video path (what
Wav2Lip takes) is exercised with the same character marked as an engine that cannot draw live.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from builder.drawing import Graphics, sentence_frames, stream_audio
from builder.encode.segment import encode_segment
from builder.encode.speech import read_speech
from builder.errors import BuildError
from builder.lipsync.base import frame_count
from builder.lipsync.sprite import SpriteLipSync
from builder.llm import make_engine as make_llm
from builder.llm.base import LLMEngine, Prompt
from builder.media import MediaFormat
from builder.pipeline import BuildRequest, Engines, build_clip_media
from builder.tts import make_engine as make_tts
from tests.sprites import load_shared

FMT = MediaFormat(width=320, height=180, fps=25)
PERSONA = {"name": "Jesus", "system_prompt": "", "language": "en", "voice": {"voice": "en-us"}}


@pytest.fixture(scope="module")
def lipsync(sprite_cache) -> SpriteLipSync:
    avatar = load_shared("Jesus", FMT, sprite_cache)
    return SpriteLipSync(FMT, avatar)


class RenderedSprite(SpriteLipSync):
    """The drawn character, rendered on the worker into video segments like a slow engine."""

    draws_live = False


@pytest.fixture(scope="module")
def built(lipsync, tmp_path_factory):
    rendered = RenderedSprite(FMT, lipsync.avatar)
    engines = Engines(llm=make_llm("offline"), tts=make_tts("espeak"), lipsync=rendered)
    request = BuildRequest(
        clip_id=1, question_text="What is forgiveness?", viewer_name="ann", persona=PERSONA
    )
    seen = []
    out = tmp_path_factory.mktemp("clip")
    result = build_clip_media(request, engines, FMT, out, on_segment=seen.append)
    return result, seen, out


def decode_video(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_segments_are_reported_as_they_are_made_and_play_alone(built):
    _, seen, _ = built
    assert len(seen) >= 2 and [s.index for s in seen] == list(range(len(seen)))
    for segment in seen:
        with av.open(str(segment.path)) as container:
            assert container.streams.video[0].codec_context.width == FMT.width
            assert container.streams.audio[0].rate == FMT.sample_rate
            assert sum(1 for _ in container.decode(video=0)) == segment.n_frames


def test_the_clip_decodes_at_the_stream_format_with_speech_long_enough(built):
    result, seen, _ = built
    video = result.files["video"]
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (FMT.width, FMT.height)
        assert stream.average_rate == FMT.fps
        assert container.streams.audio, "the clip has sound"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == sum(s.n_frames for s in seen)
    # The clip is as long as the speech, within one frame per segment (each ends on a whole frame).
    assert abs(frames / FMT.fps - result.duration) <= len(seen) / FMT.fps
    assert result.duration > 5


def test_subtitles_thumbnail_and_timings_are_written(built):
    result, seen, _ = built
    vtt = result.files["subtitles"].read_text()
    assert vtt.startswith("WEBVTT") and seen[0].text.split()[0] in vtt
    assert result.files["thumbnail"].stat().st_size > 1000
    assert {"first_text", "first_segment", "total", "join"} <= result.timings.keys()
    assert len(result.timings["tts"]) == len(seen)
    assert "forgive" in result.answer_text.lower()


def test_the_mouth_moves_in_speech_and_rests_in_silence(built, lipsync, tmp_path):
    result, _, _ = built
    speech = decode_video(result.files["video"])
    idle_path = encode_segment(
        lipsync.idle_frames(len(speech)), np.zeros(48000, np.int16), 48000, tmp_path / "idle.mp4", FMT
    ).path
    idle = decode_video(idle_path)
    boxes = [lipsync.avatar.mouth_box(p) for p in range(lipsync.avatar.pose_count)]
    x0, y0 = min(b.x0 for b in boxes), min(b.y0 for b in boxes)
    x1, y1 = max(b.x1 for b in boxes), max(b.y1 for b in boxes)

    def mouth_motion(frames: list[np.ndarray]) -> float:
        crops = np.stack([f[y0:y1, x0:x1].astype(np.int16) for f in frames])
        return float(np.abs(np.diff(crops, axis=0)).mean())

    assert mouth_motion(speech) > 3 * mouth_motion(idle)


class Refusing(LLMEngine):
    name = "refusing"

    def stream(self, prompt: Prompt):
        yield "As an AI language model, I cannot answer that."


def test_a_filtered_answer_fails_the_build_with_the_reason(lipsync, tmp_path):
    engines = Engines(llm=Refusing(), tts=make_tts("espeak"), lipsync=lipsync)
    request = BuildRequest(clip_id=2, question_text="Hi?", viewer_name="bo", persona=PERSONA)
    with pytest.raises(BuildError, match="held back by the output filter"):
        build_clip_media(request, engines, FMT, tmp_path / "clip")


def test_the_question_banner_is_burned_in_at_the_top(built, lipsync):
    result, _, _ = built
    first = decode_video(result.files["video"])[0].astype(int)
    idle = next(lipsync.idle_frames(1)).astype(int)
    top = slice(0, FMT.height // 8)
    assert np.abs(first[top] - idle[top]).mean() > 5


@pytest.fixture(scope="module")
def built_live(lipsync, tmp_path_factory):
    engines = Engines(llm=make_llm("offline"), tts=make_tts("espeak"), lipsync=lipsync)
    request = BuildRequest(
        clip_id=3, question_text="What is forgiveness?", viewer_name="ann", persona=PERSONA
    )
    seen = []
    result = build_clip_media(request, engines, FMT, tmp_path_factory.mktemp("live"), on_segment=seen.append)
    return result, seen


def test_a_character_that_draws_live_gets_speech_segments_and_no_encode(built_live, built):
    result, seen = built_live
    assert [s.kind for s in seen] == ["speech"] * len(seen) and len(seen) > 1
    assert result.library_pending and "video" not in result.files
    assert result.files["subtitles"].exists() and result.files["thumbnail"].exists()
    for segment in seen:
        speech, text = read_speech(segment.path)
        assert text == segment.text and speech.phonemes
        assert segment.n_frames == frame_count(speech.duration, FMT.fps)
    # The same answer as video segments, for the ratio: speech segments cost no x264 time at all.
    assert sum(result.timings["render_encode"]) < sum(built[0].timings["render_encode"])


def test_speech_segments_draw_the_same_frames_as_video_segments_would(built_live, lipsync):
    _, seen = built_live
    first = seen[0]
    speech, text = read_speech(first.path)
    drawn = list(sentence_frames(lipsync, speech, text, 0, [], Graphics(question_banner=False)))
    assert len(drawn) == first.n_frames
    audio = stream_audio(speech, FMT)
    assert audio.shape == (round(first.n_frames * FMT.sample_rate / FMT.fps), FMT.channels)
    assert np.abs(audio).max() > 1000  # the voice, resampled to the stream's rate
