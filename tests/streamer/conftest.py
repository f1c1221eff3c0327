from __future__ import annotations

import pytest

from builder.lipsync.sprite import SpriteLipSync
from builder.media import MediaFormat
from streamer.sources import IdleSource
from tests.sprites import load_shared

# Small and quick, but the real encoder settings: 2 s GOPs, CBR, AAC 48 kHz stereo.
SMALL = MediaFormat(width=320, height=180, fps=30, video_bitrate="600k", audio_bitrate="96k")


@pytest.fixture(scope="session")
def idle(sprite_cache) -> IdleSource:
    avatar = load_shared("Jesus", SMALL, sprite_cache)
    return IdleSource(SMALL, SpriteLipSync(SMALL, avatar))


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT
