"""encode_segment: raw frames + speech → one MP4 in the shared media format."""

from __future__ import annotations

import time
from fractions import Fraction

import av
import numpy as np
import pytest

from builder.encode.ffmpeg import FFmpegError
from builder.encode.segment import encode_segment
from builder.media import MediaFormat
from tests.builder.encode import media_checks as mc

SMALL = MediaFormat(width=320, height=180)


@pytest.fixture(scope="module")
def segment(tmp_path_factory):
    """2 s (60 frames) plus one frame, and a 440 Hz tone at 22050 Hz mono a little shorter."""
    path = tmp_path_factory.mktemp("segment") / "s.mp4"
    info = encode_segment(mc.frames(61, SMALL), mc.tone(2.0, 22050), 22050, path, SMALL)
    return info


def test_it_reports_what_it_encoded(segment):
    assert segment.n_frames == 61
    assert segment.duration == pytest.approx(61 / 30)
    assert segment.encode_seconds > 0
    assert 0 <= segment.source_seconds < segment.encode_seconds
    assert segment.path.stat().st_size > 0


def test_every_frame_given_is_in_the_file_once_in_order_at_a_constant_rate(segment):
    decoded = mc.video_frames(segment.path)
    assert [mc.read_code(f.to_ndarray(format="rgb24"))[0] for f in decoded] == list(range(61))
    assert [f.time for f in decoded] == pytest.approx([i / 30 for i in range(61)], abs=1e-6)
    with av.open(str(segment.path)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == 30 and stream.frames == 61
        assert (stream.width, stream.height) == (320, 180)


def test_the_first_frame_is_a_keyframe_and_the_next_comes_after_one_gop(segment):
    keyframes = [i for i, p in enumerate(mc.packets(segment.path, "video")) if p.is_keyframe]
    assert keyframes == [0, SMALL.gop]


def test_keyframes_are_idr_frames_every_gop_frames_and_nowhere_else(tmp_path):
    # A hard cut at frame 45 would make x264 insert a scene-cut keyframe unless told not to.
    def cut_frames():
        for i in range(150):
            image = mc.frame(i, SMALL)
            yield 255 - image if i >= 45 else image

    info = encode_segment(cut_frames(), mc.tone(0.5, 22050), 22050, tmp_path / "k.mp4", SMALL)
    video = mc.packets(info.path, "video")
    assert [i for i, p in enumerate(video) if p.is_keyframe] == [0, 60, 120]
    # IDR (NAL type 5): decoding may start at any keyframe, nothing refers across it (closed GOP).
    assert all(5 in mc.nal_types(bytes(video[i])) for i in (0, 60, 120))


def test_the_audio_is_aac_at_48khz_stereo_and_as_long_as_the_video(segment):
    with av.open(str(segment.path)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.rate, stream.channels) == ("aac", 48_000, 2)
    assert mc.stream_seconds(segment.path, "audio") == Fraction(61, 30)
    assert mc.stream_seconds(segment.path, "video") == Fraction(61, 30)


def test_the_voice_is_resampled_to_both_sides_at_its_own_pitch_and_level(segment):
    samples, chunks = mc.audio(segment.path)
    assert chunks[0][0] == 0  # the encoder's priming is hidden: audio starts at 0 like the video
    left, right = samples[0, 4800:91200], samples[1, 4800:91200]  # 0.1 s .. 1.9 s: the tone
    np.testing.assert_allclose(left, right, atol=1e-3)
    assert np.abs(left).max() == pytest.approx(0.5, abs=0.05)
    spectrum = np.abs(np.fft.rfft(left))
    assert np.fft.rfftfreq(len(left), 1 / 48_000)[spectrum.argmax()] == pytest.approx(440, abs=1)
    # The tone stops at 2.0 s; the last frame's worth (to 2.033 s) is silence added to match.
    assert np.abs(samples[:, 96_600:97_600]).max() < 0.02


def test_audio_longer_than_the_video_is_cut_to_the_video(tmp_path):
    info = encode_segment(mc.frames(30, SMALL), mc.tone(3.0, 16000), 16000, tmp_path / "a.mp4", SMALL)
    assert mc.stream_seconds(info.path, "audio") == Fraction(1)


def test_silence_is_enough_audio(tmp_path):
    info = encode_segment(mc.frames(15, SMALL), np.zeros(0, np.int16), 24000, tmp_path / "a.mp4", SMALL)
    assert mc.stream_seconds(info.path, "audio") == Fraction(1, 2)
    assert np.abs(mc.audio(info.path)[0]).max() < 1e-3


def test_a_full_size_segment_is_1280x720_main_profile_yuv420p(tmp_path):
    fmt = MediaFormat()
    info = encode_segment(mc.frames(30, fmt), mc.tone(1.0, 22050), 22050, tmp_path / "hd.mp4", fmt)
    with av.open(str(info.path)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height, video.average_rate, video.frames) == (1280, 720, 30, 30)
        assert video.codec_context.profile == "Main"
        assert video.codec_context.pix_fmt == "yuv420p"
    codes = [mc.read_code(f.to_ndarray(format="rgb24"))[0] for f in mc.video_frames(info.path)]
    assert codes == list(range(30))


def test_frames_can_stream_from_a_slow_generator_whose_time_is_counted_apart(tmp_path):
    def slow():
        for image in mc.frames(10, SMALL):
            time.sleep(0.02)
            yield image

    info = encode_segment(slow(), mc.tone(0.3, 22050), 22050, tmp_path / "g.mp4", SMALL)
    assert info.n_frames == 10
    assert info.source_seconds >= 0.2
    assert info.encode_seconds >= info.source_seconds


def test_a_frame_of_the_wrong_size_is_refused_by_name(tmp_path):
    bad = [mc.frame(0, SMALL), np.zeros((100, 100, 3), np.uint8)]
    with pytest.raises(ValueError, match=r"frame 1 is uint8 \(100, 100, 3\)"):
        encode_segment(bad, mc.tone(0.1, 22050), 22050, tmp_path / "x.mp4", SMALL)
    assert not (tmp_path / "x.mp4").exists()


def test_no_frames_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="at least one frame"):
        encode_segment([], mc.tone(0.1, 22050), 22050, tmp_path / "x.mp4", SMALL)


def test_audio_that_is_not_mono_int16_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mono int16"):
        encode_segment(mc.frames(2, SMALL), np.zeros((10, 2), np.int16), 22050, tmp_path / "x.mp4", SMALL)
    with pytest.raises(ValueError, match="mono int16"):
        encode_segment(mc.frames(2, SMALL), np.zeros(10, np.float32), 22050, tmp_path / "x.mp4", SMALL)


def test_an_unwritable_output_raises_with_ffmpegs_own_words(tmp_path):
    missing = tmp_path / "no-such-dir" / "x.mp4"
    with pytest.raises(FFmpegError) as caught:
        encode_segment(mc.frames(3, SMALL), mc.tone(0.1, 22050), 22050, missing, SMALL)
    message = str(caught.value)
    assert "ffmpeg failed" in message and "No such file or directory" in message
    assert str(missing) in caught.value.stderr


def test_bad_encoder_settings_raise_with_x264s_complaint(tmp_path):
    fmt = MediaFormat(width=320, height=180, preset="warp-speed")
    with pytest.raises(FFmpegError, match=r"(?i)preset"):
        encode_segment(mc.frames(3, fmt), mc.tone(0.1, 22050), 22050, tmp_path / "x.mp4", fmt)
