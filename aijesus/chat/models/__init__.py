from aijesus.chat.models.account import TwitchAccount
from aijesus.chat.models.hold import AutoModHold
from aijesus.chat.models.settings import ChatSettings
from aijesus.chat.models.support import SupportEvent

__all__ = ["AutoModHold", "ChatSettings", "SupportEvent", "TwitchAccount"]
