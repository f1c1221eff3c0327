"""Engines by name, and what importing them loads."""

import subprocess
import sys
from pathlib import Path

import pytest

from builder.tts import make_engine
from builder.tts.espeak import EspeakEngine
from builder.tts.openai_tts import OpenAITTSEngine

ROOT = Path(__file__).resolve().parents[3]  # the repository, where `builder` imports from


def test_it_builds_each_engine_by_name_with_its_options():
    assert isinstance(make_engine("espeak"), EspeakEngine)
    engine = make_engine("openai", base_url="http://127.0.0.1:9/v1", api_key="k", model="tts-1", timeout=3)
    assert isinstance(engine, OpenAITTSEngine)
    assert engine.model == "tts-1" and engine.client.timeout == 3 and engine.name == "openai"


def test_an_unknown_engine_name_lists_the_known_ones():
    with pytest.raises(
        ValueError, match="unknown voice engine 'festival'; choose one of: espeak, coqui, openai"
    ):
        make_engine("festival")


def test_the_default_voice_loads_neither_django_nor_openai_nor_torch():
    code = (
        "import sys; from builder.tts import make_engine; from builder.tts.base import VoiceSettings; "
        "make_engine('espeak').synthesize('Hello.', VoiceSettings()); "
        "import builder.tts.timings; "
        "print(sorted({'django', 'openai', 'torch'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


def test_the_openai_voice_loads_no_django():
    code = "import sys, builder.tts.openai_tts; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"
