from aijesus.studio.models.action import ModeratorAction
from aijesus.studio.models.avatar import Avatar
from aijesus.studio.models.base import IllegalTransition, StaleState
from aijesus.studio.models.clip import Clip, Segment
from aijesus.studio.models.endpoint import EndpointKey
from aijesus.studio.models.persona import Persona, PersonaVersion
from aijesus.studio.models.question import Question

__all__ = [
    "Avatar",
    "Clip",
    "EndpointKey",
    "IllegalTransition",
    "ModeratorAction",
    "Persona",
    "PersonaVersion",
    "Question",
    "Segment",
    "StaleState",
]
