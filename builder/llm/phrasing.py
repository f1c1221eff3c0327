"""The offline engine's own sentences around its quotes, per language.

Kept apart from the engine so another persona can bring its own voice (`Phrasing(...)`) without
touching retrieval. Each list is short on purpose: a hash of the question picks one entry, so the
same question always gets the same words and different questions get some variety.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrasing:
    openings: tuple[str, ...]
    # "{ref}" and "{text}" are filled in; `frames` introduce the first quote, `more` a second one.
    frames: tuple[str, ...]
    more: tuple[str, ...]
    closings: tuple[str, ...]
    # Used instead of `frames` when the corpus is in another language than the answer.
    foreign_frames: tuple[str, ...] = ()


ENGLISH = Phrasing(
    openings=(
        "Peace be with you, my friend.",
        "That is a good question, and an old one.",
        "Listen, my friend, and take heart.",
        "You ask well, so hear what the Gospel says.",
        "Come close, my friend, and listen.",
    ),
    frames=(
        'As it is written in {ref}: "{text}"',
        'Remember the words of {ref}: "{text}"',
        'Hear {ref}: "{text}"',
    ),
    more=('And in {ref}: "{text}"', 'And again, in {ref}: "{text}"'),
    closings=(
        "Go in peace.",
        "Keep these words in your heart.",
        "Carry this with you today, and be at peace.",
        "May these words light your way.",
        "Think on this, and you will not walk alone.",
    ),
)

FRENCH = Phrasing(
    openings=(
        "La paix soit avec toi, mon ami.",
        "C'est une belle question, et une question ancienne.",
        "Écoute, mon ami, et prends courage.",
        "Approche, mon ami, et écoute.",
    ),
    frames=(
        "Il est écrit dans {ref} : « {text} »",
        "Souviens-toi de {ref} : « {text} »",
    ),
    more=("Et dans {ref} : « {text} »", "Et encore, dans {ref} : « {text} »"),
    closings=(
        "Va en paix.",
        "Garde ces paroles dans ton cœur.",
        "Porte cela avec toi aujourd'hui, et sois en paix.",
        "Que ces paroles éclairent ton chemin.",
    ),
    # The Gospels here are the King James Version: say so rather than pass English off as French.
    foreign_frames=(
        "Il est écrit dans {ref}, dans l'anglais de la Bible du roi Jacques : « {text} »",
        "Souviens-toi de {ref}, que je te cite en anglais : « {text} »",
        "Écoute {ref}, dans la vieille langue anglaise du roi Jacques : « {text} »",
    ),
)

DEFAULT_PHRASING = {"en": ENGLISH, "fr": FRENCH}
