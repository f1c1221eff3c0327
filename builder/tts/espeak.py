"""espeak-ng through ctypes: the offline default voice, with phoneme timings for lip-sync.

The library and its voice data ship inside the `espeakng-loader` wheel (no system package). It
keeps global state and is not reentrant, so one process-wide lock guards every call, and it is
initialised once per process. Synthesis runs in synchronous mode: the callback receives the audio
and the events (phoneme starts, by sample) while `espeak_Synth` runs, on the calling thread.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import threading
from pathlib import Path

import numpy as np

from builder.tts.base import PhonemeTiming, Speech, TTSEngine, TTSError, VoiceSettings

# Values from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_END = 5  # end of a clause or sentence: what follows until the next phoneme is a pause
_EVENT_PHONEME = 7
_PHONEMES_IPA = 0x02  # espeak_TextToPhonemes: IPA, no separator between phonemes
_PARAM_RATE = 1
_PARAM_PITCH = 3
_RATE_LIMITS = (80, 450)  # espeakRATE_MINIMUM / espeakRATE_MAXIMUM, words per minute

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

        self.lib = lib = ctypes.CDLL(espeakng_loader.get_library_path())
        # Declared so ctypes converts arguments exactly (size_t, pointers) instead of guessing ints.
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_Callback]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        data = espeakng_loader.get_data_path()
        options = _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA
        self.sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), options)
        if self.sample_rate <= 0:
            raise TTSError(f"libespeak-ng failed to initialise (data at {data})")
        self.variants = {p.name for p in (Path(data) / "voices" / "!v").iterdir()}
        self.voices = self._voice_table()
        self.chunks: list[bytes] = []
        self.events: list[tuple[int, str]] = []
        self.failure: BaseException | None = None
        # Kept on the instance for the life of the process: a collected callback crashes the library.
        self.callback = _Callback(self._on_audio)
        lib.espeak_SetSynthCallback(self.callback)

    def _voice_table(self) -> dict[str, str]:
        """Every name a voice answers to (name, identifier, language codes) → its identifier.

        espeak_SetVoiceByName finds some voices only by identifier ("en-gb" is `gmw/en`) and falls
        back silently on an unknown name, so names are resolved here and checked ourselves.
        A language shared by several voices goes to the one that lists it with the best priority.
        """
        table, ranked = self.lib.espeak_ListVoices(None), {}
        i = 0
        while table[i]:
            voice = table[i].contents
            ident = voice.identifier.decode("utf-8", "replace")
            aliases = [(0, ident.lower()), (0, ident.rsplit("/", 1)[-1].lower())]
            if voice.name:
                aliases.append((0, voice.name.decode("utf-8", "replace").lower()))
            offset = 0
            while voice.languages and (priority := ctypes.string_at(voice.languages + offset, 1)[0]):
                code = ctypes.string_at(voice.languages + offset + 1)
                aliases.append((priority, code.decode("utf-8", "replace").lower()))
                offset += len(code) + 2  # the priority byte, the code, its NUL
            for priority, alias in aliases:
                if alias not in ranked or priority < ranked[alias][0]:
                    ranked[alias] = (priority, ident)
            i += 1
        return {alias: ident for alias, (_, ident) in ranked.items()}

    def _on_audio(self, wav: ctypes.Array, n_samples: int, events: ctypes.Array) -> int:
        try:
            if n_samples > 0:
                self.chunks.append(ctypes.string_at(wav, n_samples * 2))
            i = 0
            while (event := events[i]).type != _EVENT_LIST_TERMINATED:
                if event.type == _EVENT_PHONEME:
                    # Eight bytes at most: a long IPA symbol can be cut inside a UTF-8 character.
                    raw = bytes(event.id.string).split(b"\0", 1)[0]
                    symbol = raw.decode("utf-8", "ignore")
                    # "(en)" / "(fr)" mark a switch of language inside the text, not a sound.
                    if not (symbol.startswith("(") and symbol.endswith(")")):
                        self.events.append((event.sample, symbol))
                elif event.type == _EVENT_END:
                    self.events.append((event.sample, ""))
                i += 1
        except BaseException as exc:  # noqa: BLE001 - an exception must not unwind through C
            self.failure = exc
            return 1  # 1 = stop synthesising; synthesize() raises the failure afterwards
        return 0  # 0 = go on synthesising

    def speak(self, text: bytes, voice: bytes, rate: int, pitch: int) -> tuple[bytes, list[tuple[int, str]]]:
        """Synthesise one utterance; the caller holds the lock."""
        if self.lib.espeak_SetVoiceByName(voice) != 0:
            raise TTSError(f"espeak-ng could not load the voice {voice.decode()!r}")
        self.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        self.chunks, self.events, self.failure = [], [], None
        status = self.lib.espeak_Synth(
            text, len(text) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
        )
        chunks, events, failure = self.chunks, self.events, self.failure
        self.chunks, self.events, self.failure = [], [], None  # nothing of this call outlives it
        if failure is not None:
            raise TTSError(f"espeak-ng synthesis failed in its callback: {failure!r}") from failure
        if status != 0:
            raise TTSError(f"espeak-ng could not synthesise the text (error {status})")
        return b"".join(chunks), events

    def phonemes(self, text: bytes, voice: bytes) -> str:
        """IPA for `text` (one clause or more, no audio), clauses joined by a space; the caller
        holds the lock. espeak returns one clause per call and moves the pointer on."""
        if self.lib.espeak_SetVoiceByName(voice) != 0:
            raise TTSError(f"espeak-ng could not load the voice {voice.decode()!r}")
        buffer = ctypes.create_string_buffer(text)
        pointer = ctypes.c_char_p(ctypes.addressof(buffer))
        clauses = []
        while pointer.value:
            out = self.lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, _PHONEMES_IPA)
            if out:
                clauses.append(out.decode("utf-8", "replace").strip())
        return " ".join(clause for clause in clauses if clause)


_lock = threading.Lock()
_library: _Library | None = None


def _after_fork() -> None:
    # A worker forked while another thread held the lock would inherit it held forever.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def _loaded() -> _Library:
    """The library, initialised on first use; the caller holds the lock."""
    global _library
    if _library is None:
        _library = _Library()
    return _library


def resolve_voice(settings: VoiceSettings, voices: dict[str, str], variants: set[str]) -> str:
    """The espeak identifier (plus "+variant") for a voice name, or for the language if none."""
    if settings.voice.strip():
        wanted = settings.voice.strip()
    else:
        language = settings.language.strip().lower().replace("_", "-") or "en"
        # "en-GB" keeps its region when espeak has it; "en" alone gets the studio's default accent.
        wanted = language if "-" in language and language in voices else language.split("-")[0]
        wanted = DEFAULT_VOICES.get(wanted, wanted)
    name, _, variant = wanted.partition("+")
    ident = voices.get(name.lower())
    if ident is None:
        what = "voice named" if settings.voice.strip() else "voice for the language"
        raise TTSError(f"espeak-ng has no {what} {name!r}")
    if variant and variant not in variants:
        raise TTSError(f"espeak-ng has no voice variant {variant!r} (try f1-f5, m1-m7)")
    return f"{ident}+{variant}" if variant else ident


def phoneme_timings(events: list[tuple[int, str]], n_samples: int, sample_rate: int) -> list[PhonemeTiming]:
    """Consecutive timings covering [0, duration]: each phoneme lasts until the next event.

    `events` are (sample, IPA) starts; "" marks a pause (espeak's pause phonemes and clause ends).
    Silence before the first phoneme, after a clause end and after the last phoneme is "".
    """
    duration = n_samples / sample_rate
    # At one sample a pause sorts before a phoneme, so the phoneme (not the pause) keeps the time.
    starts = sorted(((min(max(s, 0), n_samples), p) for s, p in events), key=lambda e: (e[0], e[1] != ""))
    starts = [(0, ""), *starts, (n_samples, "")]
    timings: list[PhonemeTiming] = []
    for (sample, symbol), (after, _) in itertools.pairwise(starts):
        if after <= sample:
            continue
        start, end = sample / sample_rate, after / sample_rate
        if timings and symbol == "" and timings[-1].phoneme == "":
            timings[-1] = PhonemeTiming("", timings[-1].start, end)  # one pause, not several
        else:
            timings.append(PhonemeTiming(symbol, start, end))
    if timings:
        timings[-1] = PhonemeTiming(timings[-1].phoneme, timings[-1].start, duration)
    return timings


class EspeakEngine(TTSEngine):
    """`EspeakEngine()`; `voice` is an espeak name ("en-us", "fr", "en-gb+f3"), "" = by language."""

    name = "espeak"

    @property
    def sample_rate(self) -> int:
        with _lock:
            return _loaded().sample_rate

    def voices(self) -> list[str]:
        """Every voice name and language code this engine accepts."""
        with _lock:
            return sorted(_loaded().voices)

    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        # A NUL would end the C string early and silently drop the rest of the text.
        encoded = text.replace("\0", " ").strip().encode("utf-8")
        if not encoded:
            raise TTSError("there is no text to speak")
        rate = round(max(_RATE_LIMITS[0], min(_RATE_LIMITS[1], NORMAL_RATE * voice.speed)))
        pitch = round(max(0, min(100, NORMAL_PITCH * voice.pitch)))
        with _lock:
            library = _loaded()
            name = resolve_voice(voice, library.voices, library.variants)
            audio, events = library.speak(encoded, name.encode(), rate, pitch)
            sample_rate = library.sample_rate
        pcm = np.frombuffer(audio, dtype=np.int16).copy()
        if not len(pcm):
            raise TTSError("espeak-ng produced no audio for the text")
        return Speech(
            pcm=pcm, sample_rate=sample_rate, phonemes=phoneme_timings(events, len(pcm), sample_rate)
        )


def phonemize(text: str, voice: VoiceSettings) -> str:
    """`text` in IPA as espeak-ng reads it in `voice` (by name or language), without speaking:
    what the neural voices (Piper, Kokoro) take as input. Punctuation is not kept: callers that
    need it split the text at punctuation first."""
    encoded = text.replace("\0", " ").strip().encode("utf-8")
    if not encoded:
        return ""
    with _lock:
        library = _loaded()
        name = resolve_voice(voice, library.voices, library.variants)
        return library.phonemes(encoded, name.encode())
