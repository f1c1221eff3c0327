"""The one media format shared by clip segments and the stream encoder.

Segments are encoded with exactly these parameters so that the streamer (and the library's final
MP4) can join them without re-encoding and without a visible or audible seam.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaFormat:
    width: int = 1280
    height: int = 720
    fps: int = 30
    sample_rate: int = 48_000  # AAC at 48 kHz, as Twitch recommends
    channels: int = 2  # stereo (the mono voice on both sides): what Twitch expects
    video_bitrate: str = "3000k"
    audio_bitrate: str = "160k"
    preset: str = "veryfast"
    profile: str = "main"
    pix_fmt: str = "yuv420p"

    @property
    def gop(self) -> int:
        """A keyframe every 2 s (Twitch's requirement)."""
        return 2 * self.fps

    @property
    def samples_per_frame(self) -> float:
        return self.sample_rate / self.fps
