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


@pytest.fixture(autouse=True)
def no_broadcaster_left_over(redis_url):
    """The streamers of this process share one key prefix: a lease, standby marks or journaled
    reports a test left behind (a streamer it did not stop) must not reach the next test."""
    from streamer import control, lease, reports

    client = control.redis_client()

    def clear() -> None:
        client.delete(lease.lease_key(), reports.journal_key(), *client.scan_iter(lease.standby_key()))
        reports.journal_file().unlink(missing_ok=True)

    clear()
    yield
    clear()
