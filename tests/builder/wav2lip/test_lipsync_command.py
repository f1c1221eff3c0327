import json
import wave
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

pytest.importorskip("torch")
av = pytest.importorskip("av")


@pytest.fixture
def speech_wav(tmp_path):
    path = tmp_path / "speech.wav"
    rng = np.random.default_rng(1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)  # stereo on purpose: the command mixes it down
        out.setsampwidth(2)
        out.setframerate(22_050)
        out.writeframes((rng.standard_normal((8820, 2)) * 3000).astype("<i2").tobytes())  # 0.4 s
    return path


def test_it_writes_a_lip_synced_mp4_and_prints_timings(astronaut, checkpoint, speech_wav, tmp_path):
    out, stdout = tmp_path / "out.mp4", StringIO()
    call_command(
        "lipsync", "--engine", "wav2lip", "--checkpoint", str(checkpoint), "--face", str(astronaut),
        "--audio", str(speech_wav), "--out", str(out), "--fps", "25", "--batch", "4", "--size", "256x256",
        stdout=stdout, stderr=StringIO(),
    )  # fmt: skip

    report = json.loads(stdout.getvalue())
    assert report["engine"] == "wav2lip" and report["device"] in {"cpu", "cuda"}
    assert report["frames"] == 10 and report["audio_seconds"] == 0.4 and report["size"] == "256x256@25"
    assert report["first_8_frames_s"] > 0 and report["lipsync_fps"] > 0 and report["realtime_factor"] > 0
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height, video.average_rate) == (256, 256, 25)
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 10
    # Only the mouth is generated: the top of the picture is the same in every frame.
    assert np.abs(frames[0][:20].astype(int) - frames[-1][:20].astype(int)).mean() < 2


def test_a_missing_checkpoint_is_a_clear_error(astronaut, speech_wav, tmp_path):
    with pytest.raises(CommandError, match="no Wav2Lip checkpoint"):
        call_command(
            "lipsync", "--checkpoint", str(tmp_path / "absent.pth"), "--face", str(astronaut),
            "--audio", str(speech_wav), "--out", str(tmp_path / "out.mp4"), stdout=StringIO(),
        )  # fmt: skip
