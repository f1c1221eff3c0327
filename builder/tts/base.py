"""What every speech engine is: text in, mono 16-bit PCM plus phoneme timings out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np


class TTSError(Exception):
    """The engine could not speak the text; the message says why."""


@dataclass(frozen=True)
class PhonemeTiming:
    """One phoneme (IPA as the engine writes it; "" for silence) from start to end, in seconds."""

    phoneme: str
    start: float
    end: float


@dataclass(frozen=True)
class VoiceSettings:
    voice: str = ""  # engine-specific name; "" = the engine's default for `language`
    language: str = "en"
    speed: float = 1.0  # 1.0 = the engine's normal rate
    pitch: float = 1.0  # 1.0 = the voice's normal pitch
    model_path: str = ""  # for engines that load a local model


@dataclass
class Speech:
    pcm: np.ndarray  # int16, mono
    sample_rate: int
    phonemes: list[PhonemeTiming] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


class TTSEngine(ABC):
    name: str = ""

    @abstractmethod
    def synthesize(self, text: str, voice: VoiceSettings) -> Speech:
        """Speak `text` (already cleaned for speech). Phoneme timings cover the whole audio."""
