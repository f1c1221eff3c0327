"""Answer and voice: time to the first sentence's audio, and to the whole answer.

Offline answerer + espeak, the defaults, on questions whose answers run to a few sentences.
Goal (issue 3): first audio ≤ 150 ms on 2 cores.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

QUESTIONS = [
    "What is forgiveness?",
    "Why should I not worry about tomorrow?",
    "How do I love my neighbour?",
    "Should I pray every day?",
    "What did you say about bread?",
]
PERSONA = {"system_prompt": "", "language": "en", "voice": {"voice": "en-us"}}


def run(rounds: int = 3) -> dict[str, Any]:
    from builder.answer import speak_answer
    from builder.llm import Prompt
    from builder.llm import make_engine as make_llm
    from builder.tts import make_engine as make_tts
    from builder.tts.base import VoiceSettings

    llm, tts = make_llm("offline"), make_tts("espeak")
    # Worker start-up work, done once per process and not part of an answer.
    llm.answer(Prompt(system="", question="warm up"))
    tts.synthesize("Warm up.", VoiceSettings())

    first, total, sentences, audio = [], [], [], []
    for _ in range(rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            count, seconds = 0, 0.0
            for sentence in speak_answer(PERSONA, question, "bench", llm=llm, tts=tts):
                if count == 0:
                    first.append(time.perf_counter() - started)
                count += 1
                seconds += sentence.speech.duration
            total.append(time.perf_counter() - started)
            sentences.append(count)
            audio.append(seconds)
    return {
        "answers": len(total),
        "sentences_median": statistics.median(sentences),
        "audio_seconds_median": round(statistics.median(audio), 2),
        "first_audio_ms_median": round(1000 * statistics.median(first), 1),
        "first_audio_ms_max": round(1000 * max(first), 1),
        "total_ms_median": round(1000 * statistics.median(total), 1),
        "goal_first_audio_ms": 150,
    }
