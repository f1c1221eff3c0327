"""espeak-ng through ctypes: the offline default voice, with phoneme timings for lip-sync.

The library and its voice data ship inside the `espeakng-loader` wheel (no system package). It
keeps global state and is not reentrant, so one process-wide lock guards every call, and it is
initialised once per process. Synthesis runs in synchronous mode: the callback receives the audio
and the events (phoneme starts, by sample) while `espeak_Synth` runs, on the calling thread.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np

from builder.tts.base import PhonemeTiming, Speech, TTSEngine, TTSError, VoiceSettings

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3

NORMAL_RATE = 175  # words per minute at speed 1.0 (espeak's own default)
NORMAL_PITCH = 50  # espeak's 0-100 scale
DEFAULT_VOICES = {"en": "en-us", "fr": "fr"}


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated code)… then a 0 byte
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class _Library:
    """The loaded library and the buffers its callback fills (one synthesis at a time)."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        data = espeakng_loader.get_data_path().encode()
        options = _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, options)
        if self.sample_rate <= 0:
            raise TTSError(f"libespeak-ng failed to initialise (data at {data.decode()})")
        self.chunks: list[bytes] = []
        self.events: list[tuple[int, str]] = []
        # Kept on the instance: a callback object that is garbage collected crashes the library.
        self.callback = _Callback(self._on_audio)
        self.lib.espeak_SetSynthCallback(self.callback)
        self.voices = self._voice_names()

    def _voice_names(self) -> set[str]:
        """Every name a voice answers to: its name, identifier (and its last part), languages.

        espeak_SetVoiceByName falls back silently on an unknown name, so we check ourselves.
        """
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        table = self.lib.espeak_ListVoices(None)
        names: set[str] = set()
        i = 0
        while table[i]:
            voice = table[i].contents
            for raw in (voice.name, voice.identifier):
                if raw:
                    text = raw.decode("utf-8", "replace").lower()
                    names.update({text, text.rsplit("/", 1)[-1]})
            offset = 0
            while voice.languages:
                priority = ctypes.string_at(voice.languages + offset, 1)
                if priority == b"\0":
                    break
                code = ctypes.string_at(voice.languages + offset + 1).decode("utf-8", "replace")
                names.add(code.lower())
                offset += len(code) + 2
            i += 1
        return names

    def _on_audio(self, wav: ctypes.Array, n_samples: int, events: ctypes.Array) -> int:
        if n_samples > 0:
            self.chunks.append(ctypes.string_at(wav, n_samples * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                symbol = bytes(event.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                self.events.append((event.sample, symbol))
            i += 1
        return 0  # 0 = go on synthesising


_lock = threading.Lock()
_library: _Library | None = None


def _loaded() -> _Library:
    global _library
    if _library is None:
        _library = _Library()
    return _library


def phoneme_timings(events: list[tuple[int, str]], n_samples: int, sample_rate: int) -> list[PhonemeTiming]:
    """Consecutive timings covering [0, duration]: each phoneme lasts until the next one starts."""
    duration = n_samples / sample_rate
    starts = sorted((min(sample, n_samples), symbol) for sample, symbol in events)
    timings: list[PhonemeTiming] = []
    cursor = 0.0
    for i, (sample, symbol) in enumerate(starts):
        start = sample / sample_rate
        end = starts[i + 1][0] / sample_rate if i + 1 < len(starts) else duration
        if start > cursor:
            timings.append(PhonemeTiming("", cursor, start))
        if end > start:
            timings.append(PhonemeTiming(symbol, start, end))
            cursor = end
    if cursor < duration:
        timings.append(PhonemeTiming("", cursor, duration))
    return timings


class EspeakEngine(TTSEngine):
    name = "espeak"

    @property
    def sample_rate(self) -> int:
        with _lock:
            return _loaded().sample_rate

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        text = text.strip()
        if not text:
            raise TTSError("there is no text to speak")
        name = voice.voice or DEFAULT_VOICES.get(voice.language.split("-")[0], voice.language)
        rate = round(max(80, min(450, NORMAL_RATE * voice.speed)))
        pitch = round(max(0, min(100, NORMAL_PITCH * voice.pitch)))
        encoded = text.encode("utf-8")
        with _lock:
            library = _loaded()
            # "en-us+f3": a voice plus a variant (the variant files are checked by espeak itself).
            base_name = name.split("+", 1)[0].lower()
            if base_name not in library.voices or library.lib.espeak_SetVoiceByName(name.encode()) != 0:
                raise TTSError(f"espeak-ng has no voice named {name!r}")
            library.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
            library.lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
            library.chunks, library.events = [], []
            status = library.lib.espeak_Synth(
                encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
            )
            library.lib.espeak_Synchronize()
            chunks, events, sample_rate = library.chunks, library.events, library.sample_rate
        if status != 0:
            raise TTSError(f"espeak-ng could not synthesise the text (error {status})")
        pcm = np.frombuffer(b"".join(chunks), dtype=np.int16).copy()
        if not len(pcm):
            raise TTSError("espeak-ng produced no audio for the text")
        return Speech(
            pcm=pcm, sample_rate=sample_rate, phonemes=phoneme_timings(events, len(pcm), sample_rate)
        )
