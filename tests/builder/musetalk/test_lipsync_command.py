"""`manage.py lipsync --engine musetalk` with tiny random-weight models: an MP4 and its timings,
and a clear error for a folder that is not MuseTalk's."""

from __future__ import annotations

import json
import wave
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

av = pytest.importorskip("av")


@pytest.fixture
def inputs(tmp_path):
    from skimage import data

    face = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(face)
    audio = tmp_path / "speech.wav"
    t = np.arange(8820) / 22_050  # 0.4 s
    with wave.open(str(audio), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22_050)
        out.writeframes((np.sin(2 * np.pi * 200 * t) * 6000).astype("<i2").tobytes())
    return face, audio


def test_it_writes_an_mp4_and_prints_timings(models, inputs, tmp_path):
    face, audio = inputs
    out, stdout = tmp_path / "out.mp4", StringIO()
    call_command(
        "lipsync", "--engine", "musetalk", "--models", str(models), "--face", str(face),
        "--audio", str(audio), "--out", str(out), "--fps", "25", "--batch", "4", "--size", "256x256",
        stdout=stdout, stderr=StringIO(),
    )  # fmt: skip
    report = json.loads(stdout.getvalue())
    assert report["engine"] == "musetalk" and report["frames"] == 10 and report["size"] == "256x256@25"
    assert report["first_8_frames_s"] > 0 and report["lipsync_fps"] > 0
    with av.open(str(out)) as container:
        assert len(list(container.decode(video=0))) == 10


def test_a_folder_that_is_not_musetalks_is_a_clear_error(inputs, tmp_path):
    face, audio = inputs
    with pytest.raises(CommandError, match=r"musetalkV15/musetalk\.json is missing"):
        call_command(
            "lipsync", "--engine", "musetalk", "--models", str(tmp_path), "--face", str(face),
            "--audio", str(audio), "--out", str(tmp_path / "out.mp4"), stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
