"""join_segments: segments → one library MP4 by stream copy, with the audio kept in sync."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from builder.encode.ffmpeg import FFmpegError, run_ffmpeg
from builder.encode.join import join_segments, plan_audio
from builder.encode.segment import encode_segment
from builder.media import MediaFormat
from tests.builder.encode import media_checks as mc

SMALL = MediaFormat(width=320, height=180)
LENGTHS = (61, 45, 75)  # frames: three different remainders against 1024-sample AAC packets
TONE_AT = 0.25  # seconds into each segment where its tone starts
HALF_PACKET = 512 / 48_000


@pytest.fixture(scope="module")
def segments(tmp_path_factory):
    folder = tmp_path_factory.mktemp("segments")
    infos = []
    for tag, n in enumerate(LENGTHS):
        # Voice a little shorter than the video, as TTS + lip-sync give it.
        pcm = mc.tone(n / 30 - 0.05, 22050, freq=330 + 110 * tag, start=TONE_AT)
        infos.append(encode_segment(mc.frames(n, SMALL, tag), pcm, 22050, folder / f"{tag}.mp4", SMALL))
    return infos


@pytest.fixture(scope="module")
def joined(segments, tmp_path_factory):
    return join_segments([s.path for s in segments], tmp_path_factory.mktemp("joined") / "clip.mp4")


def test_each_segment_plays_alone(segments):
    for tag, info in enumerate(segments):
        codes = [mc.read_code(f.to_ndarray(format="rgb24")) for f in mc.video_frames(info.path)]
        assert codes == [(i, tag) for i in range(info.n_frames)]
        assert mc.stream_seconds(info.path, "audio") == Fraction(info.n_frames, 30)


def test_the_joined_file_has_every_frame_of_every_segment_in_order(joined):
    codes = [mc.read_code(f.to_ndarray(format="rgb24")) for f in mc.video_frames(joined)]
    assert codes == [(i, tag) for tag, n in enumerate(LENGTHS) for i in range(n)]


def test_video_timestamps_run_on_one_frame_apart_across_the_joins(joined):
    times = [f.time for f in mc.video_frames(joined)]
    assert times == pytest.approx([i / 30 for i in range(sum(LENGTHS))], abs=1e-6)
    assert mc.stream_seconds(joined, "video") == Fraction(sum(LENGTHS), 30)


def test_the_video_is_copied_packet_for_packet_not_reencoded(segments, joined):
    copied = [bytes(p) for p in mc.packets(joined, "video")]
    originals = [bytes(p) for s in segments for p in mc.packets(s.path, "video")]
    assert copied == originals
    # The first packet of segment 2 sits where segment 1 ends, and it is still a keyframe.
    first_of_second = mc.packets(joined, "video")[LENGTHS[0]]
    assert bytes(first_of_second) == bytes(mc.packets(segments[1].path, "video")[0])
    assert first_of_second.is_keyframe


def test_audio_packets_follow_each_other_without_gap_or_overlap(joined):
    audio_packets = mc.packets(joined, "audio")
    assert [p.pts for p in audio_packets] == [1024 * i for i in range(len(audio_packets))]
    _, chunks = mc.audio(joined)
    for (pts, samples), (next_pts, _) in itertools.pairwise(chunks):
        assert next_pts == pts + samples


def test_the_joined_audio_lasts_as_long_as_the_segments_together(segments, joined):
    total = sum(mc.stream_seconds(s.path, "audio") for s in segments)
    assert total == Fraction(sum(LENGTHS), 30)
    assert abs(mc.stream_seconds(joined, "audio") - total) <= HALF_PACKET


def test_each_segments_voice_starts_within_half_an_aac_packet_of_its_picture(joined):
    samples, chunks = mc.audio(joined)
    assert chunks[0][0] == 0
    loud = np.flatnonzero(np.abs(samples[0]) > 0.25)
    video_starts = np.cumsum((0, *LENGTHS[:-1])) / 30
    for start in video_starts:
        expected = start + TONE_AT
        onset = loud[loud >= round((expected - 0.03) * 48_000)][0] / 48_000
        # The plan keeps each join within half a packet; 2 ms more for the tone's fade-in.
        assert abs(onset - expected) <= HALF_PACKET + 0.002, (start, onset - expected)


def test_the_audio_plan_never_lets_drift_add_up():
    # 200 segments of 61 frames: a naive join would run 704 samples late per join (+2.9 s).
    plan = plan_audio([Fraction(61, 30)] * 200, [96] * 200, 1024, 48_000)
    assert max(abs(d) for d in plan.drift) <= HALF_PACKET
    assert abs(plan.end_drift) <= HALF_PACKET
    assert set(plan.keep) <= {95, 96}


def test_a_segment_short_of_audio_keeps_what_it_has_and_later_ones_catch_up():
    # 2 s of video is 93.75 packets; the first segment has only 93 (16 ms short).
    plan = plan_audio([Fraction(2)] * 3, [93, 96, 94], 1024, 48_000)
    assert plan.keep[:2] == [93, 95]
    assert plan.drift[1] == pytest.approx((93 * 1024 - 96_000) / 48_000)
    assert abs(plan.drift[2]) <= HALF_PACKET  # the second segment spends its spare packet


def test_segments_of_different_formats_are_refused(segments, tmp_path):
    other = MediaFormat(width=256, height=144)
    odd = encode_segment(mc.frames(5, other), mc.tone(0.2, 22050), 22050, tmp_path / "odd.mp4", other)
    with pytest.raises(ValueError, match="same format"):
        join_segments([segments[0].path, odd.path], tmp_path / "out.mp4")


def test_joining_nothing_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="nothing to join"):
        join_segments([], tmp_path / "out.mp4")


def test_a_failed_join_raises_with_ffmpegs_words_and_leaves_no_file(segments, tmp_path):
    target = tmp_path / "missing" / "clip.mp4"
    with pytest.raises(FFmpegError, match="No such file or directory"):
        join_segments([s.path for s in segments], target)
    assert not target.parent.exists()


def test_the_joined_file_keeps_its_index_first_for_progressive_playback(joined):
    data = joined.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_segments_at_another_frame_rate_are_refused(segments, tmp_path):
    other = MediaFormat(width=320, height=180, fps=25)
    odd = encode_segment(mc.frames(5, other), mc.tone(0.2, 22050), 22050, tmp_path / "odd.mp4", other)
    with pytest.raises(ValueError, match="same format"):
        join_segments([segments[0].path, odd.path], tmp_path / "out.mp4")


def test_a_file_without_audio_is_refused(segments, tmp_path):
    silent = tmp_path / "video-only.mp4"
    run_ffmpeg(["-i", str(segments[0].path), "-map", "0:v", "-c", "copy", str(silent)])
    with pytest.raises(ValueError, match="0 audio streams"):
        join_segments([segments[0].path, silent], tmp_path / "out.mp4")


def test_one_segment_joins_to_a_copy_of_itself(segments, tmp_path):
    out = join_segments([segments[2].path], tmp_path / "one.mp4")
    assert [bytes(p) for p in mc.packets(out, "video")] == [
        bytes(p) for p in mc.packets(segments[2].path, "video")
    ]
    assert mc.stream_seconds(out, "audio") == mc.stream_seconds(segments[2].path, "audio")
