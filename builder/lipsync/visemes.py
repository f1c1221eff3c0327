# ruff: noqa: RUF001, RUF002, RUF003 - IPA symbols are the subject here, not look-alike typos
"""Phonemes (IPA as espeak-ng writes it, English and French) to mouth shapes, and a per-frame track.

A viseme is what the lips show, not what is heard: /p b m/ all close the lips, /f v/ put the lower
lip under the teeth, and so on. Several sounds share one shape, so ten shapes are enough for a
cartoon mouth that reads as speech.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from enum import StrEnum

from builder.tts.base import PhonemeTiming


class Viseme(StrEnum):
    REST = "rest"  # lips together, relaxed: silence
    MBP = "mbp"  # lips pressed: m b p
    A = "a"  # jaw open: a ɑ æ ʌ
    E = "e"  # lips spread, teeth showing: e ɛ i ɪ j
    O = "o"  # noqa: E741 - rounded open: o ɔ ø œ
    U = "u"  # small round, pursed: u ʊ y w ɥ
    FV = "fv"  # lower lip under the upper teeth: f v
    L = "l"  # tongue tip up behind the teeth: l θ ð
    S = "s"  # teeth together, lips apart: s z t d n k g and most consonants
    SH = "sh"  # lips forward, teeth close: ʃ ʒ tʃ dʒ ɹ


# Single symbols, after stress, length and tie marks are stripped. Nasal vowels keep the shape of
# their oral vowel because the tilde is stripped too.
_SYMBOLS: dict[str, Viseme] = {}
for _viseme, _chars in {
    Viseme.MBP: "mbpɓʙ",
    Viseme.A: "aɑæɐʌɒᵻɶ",
    Viseme.E: "eɛiɪɨjɘəɜɞ",
    Viseme.O: "oɔøœɚɝɵ",
    Viseme.U: "uʊyʏwɥɯʍ",
    Viseme.FV: "fvɱʋ",
    Viseme.L: "lɫʎɭθðɬɮ",
    Viseme.S: "sztdnkgɡŋɲxɣçʝcɟqɢɴχʁrɾɽʀɸβʂʐɕʑ",
    Viseme.SH: "ʃʒɹɻ",
}.items():
    for _char in _chars:
        _SYMBOLS[_char] = _viseme

# Sounds made in the throat borrow the lips of whatever comes next (coarticulation).
_TRANSPARENT = frozenset("hɦʔ")
# Affricates are one gesture, not two; espeak writes them with or without a tie bar.
_CLUSTERS = {"tʃ": Viseme.SH, "dʒ": Viseme.SH, "ts": Viseme.S, "dz": Viseme.S}
_VOWELS = frozenset("aɑæɐʌɒeɛiɪɨəɘɜɞoɔøœɚɝɵuʊyʏɯ")
# Marks that change length, stress, tone or syllable boundaries but not the mouth.
_MARKS = frozenset("ˈˌːˑ.|‖‿͜͡ˀ'-_,;:!?")
DEFAULT = Viseme.S  # an unknown symbol is most likely a consonant: a neutral, slightly open mouth
# A diphthong spends most of its time on its first vowel, then glides.
_GLIDE_SHARE = 0.4


def _clean(phoneme: str) -> str:
    decomposed = unicodedata.normalize("NFD", phoneme)
    return "".join(c for c in decomposed if c not in _MARKS and not unicodedata.combining(c))


def viseme_parts(phoneme: str) -> list[tuple[Viseme | None, float]]:
    """The shapes a phoneme shows, each with its share of the phoneme's time.

    Silence is REST. None means "take the shape of the next sound" (h, the glottal stop). A
    diphthong such as aɪ gives two shapes (A then E); an affricate such as tʃ gives one.
    """
    text = _clean(phoneme)
    if not phoneme.strip():
        return [(Viseme.REST, 1.0)]
    if not text:
        return [(DEFAULT, 1.0)]
    if text in _CLUSTERS:
        return [(_CLUSTERS[text], 1.0)]
    shapes: list[Viseme | None] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _CLUSTERS:
            shapes.append(_CLUSTERS[pair])
            i += 2
            continue
        char = text[i]
        shapes.append(None if char in _TRANSPARENT else _SYMBOLS.get(char, DEFAULT))
        i += 1
    if len(shapes) == 1:
        return [(shapes[0], 1.0)]
    # A vowel cluster (diphthong) glides from the first to the last; a consonant cluster
    # (rare in espeak's events) shows its most visible member.
    if all(c in _VOWELS for c in text):
        first, last = shapes[0], shapes[-1]
        return [(first, 1.0)] if first == last else [(first, 1 - _GLIDE_SHARE), (last, _GLIDE_SHARE)]
    known = [s for s in shapes if s is not None]
    return [(known[0] if known else None, 1.0)]


def viseme_for(phoneme: str) -> Viseme:
    """The main shape of one phoneme (its first part); silence is REST."""
    parts = viseme_parts(phoneme)
    return parts[0][0] or DEFAULT


# Lips move a little before the sound is heard; showing the shape ~1 frame early reads as in sync.
ANTICIPATION = 0.03
MIN_RUN = 2  # frames; a shape held for one frame reads as flicker


def _segments(phonemes: Sequence[PhonemeTiming]) -> list[tuple[float, float, Viseme]]:
    pieces: list[tuple[float, float, Viseme | None]] = []
    for p in sorted(phonemes, key=lambda p: p.start):
        if p.end <= p.start:
            continue
        t = p.start
        for shape, share in viseme_parts(p.phoneme):
            end = t + (p.end - p.start) * share
            pieces.append((t, end, shape))
            t = end
    # Transparent sounds take the next shape (or REST at the end of an utterance).
    resolved: list[tuple[float, float, Viseme]] = []
    following: Viseme = Viseme.REST
    for start, end, shape in reversed(pieces):
        following = shape if shape is not None else following
        if shape is None and following is Viseme.REST:
            following = Viseme.S
        resolved.append((start - ANTICIPATION, end - ANTICIPATION, following))
    resolved.reverse()
    return resolved


# Closing the lips for m/b/p must be seen even when the closure is short.
_WEIGHT = {Viseme.MBP: 1.6, Viseme.FV: 1.3}


def _raw_frames(segments: list[tuple[float, float, Viseme]], fps: int, n_frames: int) -> list[Viseme]:
    frames = [Viseme.REST] * n_frames
    best = [0.0] * n_frames
    for start, end, shape in segments:
        if shape is Viseme.REST:
            continue  # REST is the background; it wins wherever nothing else covers the frame enough
        first = max(0, math.floor(start * fps))
        last = min(n_frames - 1, math.ceil(end * fps) - 1)
        for i in range(first, last + 1):
            overlap = min(end, (i + 1) / fps) - max(start, i / fps)
            score = overlap * fps * _WEIGHT.get(shape, 1.0)
            if score > best[i]:
                best[i], frames[i] = score, shape
    # A frame mostly silent stays at rest.
    return [f if best[i] >= 0.35 else Viseme.REST for i, f in enumerate(frames)]


def _smooth(frames: list[Viseme], min_run: int) -> list[Viseme]:
    """No run shorter than `min_run` frames: lengthen it from a long neighbour or fold it in.

    The REST runs at the very start and end are pinned: they are never folded away, so the
    clip opens and closes with the lips together.
    """
    runs: list[list] = []  # [shape, length, pinned]
    for f in frames:
        if runs and runs[-1][0] is f:
            runs[-1][1] += 1
        else:
            runs.append([f, 1, False])
    runs[0][2] = runs[0][0] is Viseme.REST
    runs[-1][2] = runs[-1][0] is Viseme.REST
    while len(runs) > 1:
        short = next((r for r in runs if r[1] < min_run), None)
        if short is None:
            break
        i = runs.index(short)
        neighbours = [
            r for r in (runs[i - 1] if i else None, runs[i + 1] if i + 1 < len(runs) else None) if r
        ]
        # Prefer keeping the short shape by borrowing from a neighbour that can spare frames: a
        # brief lip closure matters more than a vowel's last frame.
        donor = max((r for r in neighbours if r[1] > min_run), key=lambda r: r[1], default=None)
        if donor is not None:
            donor[1] -= min_run - short[1]
            short[1] = min_run
        elif short[2]:
            # A pinned edge swallows its neighbour instead.
            short[1] += neighbours[0][1]
            neighbours[0][1] = 0
        else:
            target = max(neighbours, key=lambda r: (r[2], r[1]))
            target[1] += short[1]
            short[1] = 0
        runs = _merge([r for r in runs if r[1] > 0])
    return [shape for shape, length, _ in runs for _ in range(length)]


def _merge(runs: list[list]) -> list[list]:
    merged: list[list] = []
    for shape, length, pinned in runs:
        if merged and merged[-1][0] is shape:
            merged[-1][1] += length
            merged[-1][2] = merged[-1][2] or pinned
        else:
            merged.append([shape, length, pinned])
    return merged


def viseme_track(phonemes: Sequence[PhonemeTiming], fps: int, n_frames: int) -> list[Viseme]:
    """One mouth shape per video frame (frame i shows time i/fps to (i+1)/fps).

    Silences and the first and last frames are REST, so a clip starts and ends with the mouth
    closed; no shape lasts a single frame unless the clip itself is that short.
    """
    if n_frames <= 0:
        return []
    frames = _raw_frames(_segments(phonemes), fps, n_frames)
    frames[0] = frames[-1] = Viseme.REST
    return _smooth(frames, MIN_RUN)
