"""What fills each frame: the character's idle loop, or a clip from its segments.

A clip's segments play in index order. A *speech* segment (the voice and its phoneme timings) is
drawn here, at air time, by the character's own engine: its frames are never encoded before the
broadcast encodes them. A *video* segment (an MP4 rendered by an engine too slow to draw live) is
decoded with PyAV into RGB frames of the stream's size and PCM at the stream's rate and layout.
Either way the audio waits in a FIFO from which the streamer takes, per frame, exactly the samples
that frame lasts; so the clip stays in step with the picture however the samples divide into frames.

A segment that cannot be had or read (gone from the media store, a file that does not decode) ends
the clip there and says why in `broken`; any other error while drawing or decoding a segment in
`error`. Either way the airing is not counted: only a clip played to its end is heard whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import av
import numpy as np

from builder.drawing import Graphics, sentence_frames, stream_audio
from builder.encode.speech import SpeechFileError, read_speech
from builder.lipsync.base import LipSyncEngine
from builder.media import MediaFormat
from builder.overlay import Overlay

log = logging.getLogger(__name__)

FADE_SECONDS = 0.005  # a clip's first and last 5 ms: a step from or to silence would click
WAIT: Final = "wait"  # the next segment of a building clip is not there yet
_RECHECK_FRAMES = 5  # while waiting, look for the segment every this many frames, not each one


class MediaBroken(Exception):
    """A segment of the clip on air is gone from the media store: the clip cannot play to its end."""


class SegmentFailed(RuntimeError):
    """Looking for a segment of the clip on air raised something unforeseen: not the media's fault."""


class DrawingError(RuntimeError):
    """A speech segment cannot be drawn (no character): not the media's fault."""


class IdleSource:
    """The character listening, from absolute frame numbers so any cut to or from it is seamless."""

    def __init__(self, fmt: MediaFormat, engine: LipSyncEngine | None) -> None:
        self.fmt = fmt
        self.engine = engine
        # Without a character (none could be drawn) a still backdrop, never black.
        self._still = np.full((fmt.height, fmt.width, 3), (24, 28, 40), np.uint8)

    def frame(self, n: int) -> np.ndarray:
        if self.engine is None:
            return self._still
        return next(self.engine.idle_frames(1, n))

    def silence(self, samples: int) -> bytes:
        return bytes(samples * self.fmt.channels * 2)


@dataclass(frozen=True)
class SegmentFile:
    path: Path
    kind: str = "video"  # or "speech"
    duration: float = 0.0


@dataclass
class Drawing:
    """How this clip's speech segments are drawn: its character and its graphics."""

    lipsync: LipSyncEngine | None
    banner: list[Overlay] = field(default_factory=list)
    graphics: Graphics = field(default_factory=Graphics)


class ClipSource:
    """One airing of a clip. `next_frame()` gives a frame, WAIT, or None at the end; `take_audio`
    the PCM that goes with the frame just taken.

    `segment_path(index)` returns segment `index` (a SegmentFile, or a plain Path for a video
    segment), or None if it does not exist (yet); `still_building()` says whether more may come.
    `drawing` draws speech segments.
    """

    def __init__(
        self,
        fmt: MediaFormat,
        segment_path: Callable[[int], SegmentFile | Path | None],
        still_building: Callable[[], bool],
        drawing: Drawing | None = None,
    ) -> None:
        self.fmt = fmt
        self._segment_path = segment_path
        self._still_building = still_building
        self._drawing = drawing or Drawing(None)
        self._audio = np.zeros((0, fmt.channels), np.int16)
        self._frames = self._decode_all()
        self._next: np.ndarray | str | None = None
        self.frames_taken = 0
        self.segments_played = 0  # segments played to their end
        self.broken = ""  # why the clip's media could not be played (lost or corrupt)
        self.error = ""  # why a segment could not be drawn or decoded otherwise
        self.is_last = False
        self._faded_in = False
        # Read last: the first segment is read here, and a failure is recorded in the fields above.
        self._next = next(self._frames, None)

    def next_frame(self) -> np.ndarray | str | None:
        current = self._next
        if current is None or isinstance(current, str):
            if current == WAIT:
                self._next = next(self._frames, None)
            return current
        # One frame of lookahead tells whether this frame is the clip's last (its audio fades).
        self._next = next(self._frames, None)
        self.is_last = self._next is None
        self.frames_taken += 1
        return current

    def take_audio(self, samples: int) -> bytes:
        """The next `samples` of the clip's audio (silence past its end), faded at the clip's edges."""
        chunk, self._audio = self._audio[:samples], self._audio[samples:]
        if len(chunk) < samples:
            chunk = np.concatenate([chunk, np.zeros((samples - len(chunk), self.fmt.channels), np.int16)])
        if not self._faded_in:
            chunk = _fade(chunk, self._fade_len, rising=True)
            self._faded_in = True
        if self.is_last:
            chunk = _fade(chunk, self._fade_len, rising=False)
        return chunk.tobytes()

    def fade_out_now(self, samples: int) -> bytes:
        """Audio for one last frame when the clip is cut short (skip): faded over the whole frame."""
        chunk = np.frombuffer(self.take_audio(samples), np.int16).reshape(-1, self.fmt.channels)
        return _fade(chunk, samples, rising=False).tobytes()

    @property
    def _fade_len(self) -> int:
        return max(1, round(FADE_SECONDS * self.fmt.sample_rate))

    def _decode_all(self) -> Iterator[np.ndarray | str]:
        index, checks, cursor = 0, 0, 0
        while True:
            try:
                found = self._segment_path(index)
            except MediaBroken as exc:
                self.broken = str(exc)
                log.error("%s: the clip ends here, not counted", exc)
                return
            except SegmentFailed as exc:  # the playout could not look for it: this clip's failure
                self.error = f"segment {index + 1}: {exc}"
                log.error("cannot have segment %d: %s; the clip ends here, not counted", index + 1, exc)
                return
            if found is None:
                if not self._still_building():
                    return
                checks += 1
                # Between checks the streamer shows idle frames; no file lookup each time.
                for _ in range(_RECHECK_FRAMES if checks > 1 else 1):
                    yield WAIT
                continue
            checks = 0
            segment = found if isinstance(found, SegmentFile) else SegmentFile(found)
            try:
                if segment.kind == "speech":
                    frames = self._draw_segment(segment.path, cursor)
                else:
                    frames = self._decode_segment(segment.path)
                for frame in frames:
                    cursor += 1
                    yield frame
            except (av.FFmpegError, OSError, SpeechFileError) as exc:  # ends the clip, not the stream
                self.broken = f"segment {index + 1} cannot be played: {exc}"
                log.error("cannot play segment %s (%s): the clip ends here, not counted", segment.path, exc)
                return
            except Exception as exc:  # a drawing bug must cost this clip, never the stream
                self.error = f"segment {index + 1}: {type(exc).__name__}: {exc}"
                log.exception("cannot draw segment %s: the clip ends here, not counted", segment.path)
                return
            index += 1
            self.segments_played = index

    def _draw_segment(self, path: Path, start_frame: int) -> Iterator[np.ndarray]:
        drawing = self._drawing
        if drawing.lipsync is None:
            raise DrawingError("no character to draw a speech segment with")
        speech, text = read_speech(path)
        self._audio = np.concatenate([self._audio, stream_audio(speech, self.fmt)])
        return sentence_frames(drawing.lipsync, speech, text, start_frame, drawing.banner, drawing.graphics)

    def _decode_segment(self, path: Path) -> Iterator[np.ndarray]:
        fmt = self.fmt
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            n_frames = video.frames or round(float(video.duration * video.time_base) * fmt.fps)
            pcm = _decode_audio(container, fmt) if container.streams.audio else np.zeros((0, fmt.channels))
        # The segment's audio lasts exactly as long as its frames (the builder pads or cuts it so);
        # holding to that here keeps a damaged or odd file from pushing later segments out of step.
        want = round(n_frames * fmt.sample_rate / fmt.fps)
        pcm = pcm[:want]
        if len(pcm) < want:
            pcm = np.concatenate([pcm, np.zeros((want - len(pcm), fmt.channels), np.int16)])
        self._audio = np.concatenate([self._audio, pcm.astype(np.int16)])
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                if frame.width != fmt.width or frame.height != fmt.height or frame.format.name != "rgb24":
                    frame = frame.reformat(width=fmt.width, height=fmt.height, format="rgb24")
                yield frame.to_ndarray()


def _decode_audio(container: av.container.InputContainer, fmt: MediaFormat) -> np.ndarray:
    layout = "stereo" if fmt.channels == 2 else "mono"
    resampler = av.AudioResampler(format="s16", layout=layout, rate=fmt.sample_rate)
    parts = []
    for frame in container.decode(audio=0):
        parts.extend(f.to_ndarray().reshape(-1, fmt.channels) for f in resampler.resample(frame))
    parts.extend(f.to_ndarray().reshape(-1, fmt.channels) for f in resampler.resample(None))
    return np.concatenate(parts) if parts else np.zeros((0, fmt.channels), np.int16)


def _fade(chunk: np.ndarray, length: int, *, rising: bool) -> np.ndarray:
    length = min(length, len(chunk))
    if length == 0:
        return chunk
    ramp = np.linspace(0.0, 1.0, length, endpoint=False)[:, None]
    out = chunk.astype(np.float32)
    if rising:
        out[:length] *= ramp
    else:
        out[len(out) - length :] *= ramp[::-1]
    return np.round(out).astype(np.int16)
